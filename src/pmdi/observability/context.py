"""What every log line of a request carries: its id and, once authenticated, the user and organisation.

One mutable mapping per request lives in a context variable. Code further down (the auth dependency) fills
it in place: `app.middleware("http")` runs the app in a child task, so a value *set* there would never reach
the access-log line written by the outer middleware, but an update to the shared mapping does.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from structlog.typing import EventDict

_REQUEST: ContextVar[dict[str, str] | None] = ContextVar("pmdi_request_context", default=None)
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def request_id_from(header: str | None) -> str:
    """The caller's `X-Request-ID` when it is short and plain (it ends up in logs), else a fresh one."""
    if header and _SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


@contextmanager
def request_scope(request_id: str) -> Iterator[dict[str, str]]:
    values = {"request_id": request_id}
    token = _REQUEST.set(values)
    try:
        yield values
    finally:
        _REQUEST.reset(token)


def bind_identity(user_id: uuid.UUID, organization_id: uuid.UUID | None = None) -> None:
    """Outside a request (jobs, CLI) there is nothing to bind to, and nothing happens."""
    values = _REQUEST.get()
    if values is None:
        return
    values["user_id"] = str(user_id)
    if organization_id is not None:
        values["org_id"] = str(organization_id)


def add_request_context(_logger: Any, _method: str, event: EventDict) -> EventDict:
    """structlog processor: the current request's id and identity, without overriding explicit values."""
    values = _REQUEST.get()
    if values:
        for key, value in values.items():
            event.setdefault(key, value)
    return event
