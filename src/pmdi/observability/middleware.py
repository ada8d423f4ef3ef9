"""The outermost middleware: request id, per-request log context, one access-log line, HTTP metrics."""

from __future__ import annotations

import logging
import time

from fastapi.routing import APIRoute, iter_route_contexts
from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pmdi.observability.context import request_id_from, request_scope
from pmdi.observability.metrics import HTTP_DURATION, HTTP_IN_FLIGHT

logger = logging.getLogger("pmdi.access")

REQUEST_ID_HEADER = "X-Request-ID"
UNMATCHED = "<unmatched>"
# Probes and scrapes arrive every few seconds; at INFO they would drown the lines that matter.
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestObservability:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # Route object -> its full path template ("/api/v1/documents/{document_id}"): labels must not carry
        # raw paths, or every document id would become a time series of its own.
        self._templates: dict[int, str] | None = None
        self._plain: list[Route | Mount] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(Headers(scope=scope).get(REQUEST_ID_HEADER))
        status = 500  # what the client gets when the app raises before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        started = time.perf_counter()
        HTTP_IN_FLIGHT.inc()
        with request_scope(request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                HTTP_IN_FLIGHT.dec()
                self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"
        HTTP_DURATION.labels(method, self._template(scope), f"{status // 100}xx").observe(seconds)
        path = scope["path"]
        logger.log(
            logging.DEBUG if path in _QUIET_PATHS else logging.INFO,
            "request",
            extra={"method": method, "path": path, "status": status, "duration_ms": round(seconds * 1000, 2)},
        )

    def _template(self, scope: Scope) -> str:
        if self._templates is None:
            self._templates = {
                id(context.original_route): context.path_format or context.path or UNMATCHED
                for context in iter_route_contexts(scope["app"].routes)
            }
            self._plain = [
                r for r in scope["app"].routes if isinstance(r, Mount | Route) and not isinstance(r, APIRoute)
            ]
        route = scope.get("route")
        if route is not None:
            return self._templates.get(id(route), UNMATCHED)
        # FastAPI records only its own routes in the scope; the docs pages and mounts (static files) are
        # found again by matching the path.
        probe = {"type": "http", "path": scope["path"], "root_path": "", "method": scope["method"]}
        for plain in self._plain:
            if plain.matches(probe)[0] == Match.FULL:
                return self._templates.get(id(plain), UNMATCHED)
        return UNMATCHED
