"""Turning form posts into the API's own schemas, so pages and the JSON API validate the same way."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from pmdi.core.errors import BadRequest

M = TypeVar("M", bound=BaseModel)


def parse_form(model: type[M], data: dict[str, Any]) -> M:
    """Blank optional fields mean "not given"; a refused value names its field in plain words."""
    try:
        return model.model_validate({key: value for key, value in data.items() if value != ""})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first.get("loc", ())) or "form"
        raise BadRequest(
            f"{field.replace('_', ' ').capitalize()}: {first.get('msg', 'invalid value')}."
        ) from exc
