"""Refuse NUL characters in request text at the edge of the app.

PostgreSQL cannot store U+0000 in a text column (the insert fails with "invalid byte sequence") and SQLite
would keep it silently, so text with NUL passed every schema yet crashed one backend mid-request. No field
of the product has a use for it, so the request is refused as a whole before any handler runs, with the
same 422 on both backends. Multipart bodies are left alone: uploaded files are binary and may hold NULs.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pmdi.core.errors import render_error

_DETAIL = "Text must not contain NUL (\\u0000) characters."
_FORM = "application/x-www-form-urlencoded"


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def _json_holds_nul(body: bytes) -> bool:
    # The cheap byte test rules out nearly every body; parsing settles escapes like "\\u0000" (not a NUL).
    if b"\\u0000" not in body:
        return False
    try:
        return _holds_nul(json.loads(body))
    except ValueError:
        return False  # the route's own validation answers malformed JSON


def _body_holds_nul(content_type: str, body: bytes) -> bool:
    if content_type.startswith(_FORM):
        return b"%00" in body or b"\x00" in body
    if content_type.startswith("application/json") or "+json" in content_type:
        return _json_holds_nul(body)
    return False


class RejectNulText:
    """Pure ASGI middleware: a NUL in the path, the query or a JSON/form body gets a 422."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query: bytes = scope.get("query_string", b"")
        if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
            await self._refuse(scope, receive, send)
            return
        content_type = Request(scope).headers.get("content-type", "").lower()
        if not content_type.startswith(_FORM) and "json" not in content_type:
            await self.app(scope, receive, send)
            return
        body, messages = await _read_body(receive)
        if _body_holds_nul(content_type, body):
            await self._refuse(scope, receive, send)
            return
        await self.app(scope, _replay(messages, receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = render_error(Request(scope), 422, "ValidationError", _DETAIL)
        await response(scope, receive, send)


async def _read_body(receive: Receive) -> tuple[bytes, list[Message]]:
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
    return body, messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed
