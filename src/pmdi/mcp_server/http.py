"""`/mcp` in the API process: Streamable HTTP, stateless (any API process answers any request, nothing is kept
between requests) with JSON responses, and an API key on every request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from pmdi.config import Settings
from pmdi.core.db import unit_of_work
from pmdi.core.errors import PmdiError
from pmdi.core.state import AppState
from pmdi.mcp_server.caller import McpRuntime, bearer_key, key_context
from pmdi.mcp_server.server import build_server

PATH = "/mcp"
# Room for the JSON-RPC envelope around a base64 upload of the largest accepted file.
_ENVELOPE_BYTES = 64 * 1024


class McpEndpoint:
    """An ASGI endpoint: refuses a request without a valid API key (401), hands the rest to the SDK."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.mcp.enabled
        self._manager: StreamableHTTPSessionManager | None = None
        self._state: AppState | None = None

    def mount(self, app: FastAPI) -> None:
        if self.enabled:
            app.router.routes.append(
                Route(PATH, self, methods=["GET", "POST", "DELETE"], include_in_schema=False)
            )

    @asynccontextmanager
    async def serving(self, state: AppState) -> AsyncIterator[None]:
        """Run the SDK's session manager for as long as the app's lifespan (a fresh one each time)."""
        if not self.enabled:
            yield
            return
        server = build_server(McpRuntime(state))
        server.streamable_http_app(
            stateless_http=True,
            json_response=True,
            max_request_body_size=state.settings.uploads.max_bytes * 4 // 3 + _ENVELOPE_BYTES,
            # Host checks would refuse the deployment's own host names; a page rebinding a name to this server
            # cannot send the API key every request needs anyway.
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        async with _running(server.session_manager):
            self._manager, self._state = server.session_manager, state
            try:
                yield
            finally:
                self._manager = self._state = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        manager, state = self._manager, self._state
        if manager is None or state is None:
            unavailable = {"error": "Unavailable", "detail": "The MCP server is not running."}
            await JSONResponse(unavailable, status_code=503)(scope, receive, send)
            return
        try:
            key = bearer_key(Headers(scope=scope).get("authorization"))
            async with unit_of_work(state.sessionmaker) as session:
                await key_context(session, key)
        except PmdiError as exc:
            refused = JSONResponse(
                {"error": exc.code, "detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
            await refused(scope, receive, send)
            return
        await manager.handle_request(scope, receive, send)


@asynccontextmanager
async def _running(manager: StreamableHTTPSessionManager) -> AsyncIterator[None]:
    """The manager's task group lives in a task of its own: an anyio task group must be left in the task that
    entered it, and a lifespan may be entered and left in different ones (test fixtures do that)."""
    started, stopping = asyncio.Event(), asyncio.Event()

    async def run() -> None:
        async with manager.run():
            started.set()
            await stopping.wait()

    task, waiter = asyncio.create_task(run()), asyncio.create_task(started.wait())
    await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if task.done():
        task.result()  # the manager could not start: raise its error here
    try:
        yield
    finally:
        stopping.set()
        await task
