"""Secrets never reach a log line: masked by key name, by shape, and by value.

By key: values of fields named like a password, token, secret, API key, authorization or cookie. By shape:
pmdi API keys, bearer credentials, JWTs and `token=`-style query parameters inside any string. By value: the
configured secrets themselves (every `SecretStr` of the settings), wherever they appear.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, SecretStr
from structlog.typing import EventDict

MASK = "[REDACTED]"
# Shorter configured values would mask ordinary words; real secrets are far longer.
_MIN_SECRET_LENGTH = 8

_SENSITIVE_KEY = re.compile(
    r"(?:^|_)(password|passwd|pwd|secret|token|api_?key|authorization|cookie|csrf)(?:$|_)"
)
_PATTERNS = (
    (re.compile(r"pmdi_[A-Za-z0-9_\-]{16,}"), "pmdi_" + MASK),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]{8,}"), r"\1 " + MASK),
    (re.compile(r"\beyJ[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*"), MASK),
    (
        re.compile(r"(?i)\b(password|passwd|secret|token|access_token|refresh_token|api_?key)=[^&\s\"',;]+"),
        r"\1=" + MASK,
    ),
)


class Redactor:
    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._known: re.Pattern[str] | None = None

    def remember(self, values: Iterable[str]) -> None:
        fresh = {v for v in values if len(v) >= _MIN_SECRET_LENGTH} - self._secrets
        if not fresh:
            return
        self._secrets |= fresh
        ordered = sorted(self._secrets, key=len, reverse=True)  # longest first: no partial leftovers
        self._known = re.compile("|".join(re.escape(s) for s in ordered))

    def text(self, value: str) -> str:
        if self._known is not None:
            value = self._known.sub(MASK, value)
        for pattern, replacement in _PATTERNS:
            value = pattern.sub(replacement, value)
        return value

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: MASK if _is_sensitive(k) else self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        return value

    def __call__(self, _logger: Any, _method: str, event: EventDict) -> EventDict:
        """structlog processor; runs last before rendering, so tracebacks are covered too."""
        return {k: MASK if _is_sensitive(k) else self.value(v) for k, v in event.items()}


def _is_sensitive(key: object) -> bool:
    return isinstance(key, str) and _SENSITIVE_KEY.search(key.lower().replace("-", "_")) is not None


REDACTOR = Redactor()


def secret_values(model: BaseModel) -> list[str]:
    found: list[str] = []
    for name in type(model).model_fields:
        _collect(getattr(model, name), found)
    return found


def _collect(value: Any, found: list[str]) -> None:
    if isinstance(value, SecretStr):
        found.append(value.get_secret_value())
    elif isinstance(value, BaseModel):
        found.extend(secret_values(value))
    elif isinstance(value, list):
        for item in value:
            _collect(item, found)


def remember_secrets(settings: BaseModel) -> None:
    """Called wherever settings are opened (app, worker, CLI), after the signing secret is known."""
    REDACTOR.remember(secret_values(settings))
