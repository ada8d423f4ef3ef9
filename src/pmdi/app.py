"""The application factory. Nothing connects at import; the lifespan owns every resource."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pmdi import __version__
from pmdi.analysis.router import router as analysis_router
from pmdi.api_keys.router import router as api_keys_router
from pmdi.audit.router import router as audit_router
from pmdi.auth.router import router as auth_router
from pmdi.config import Settings
from pmdi.core.errors import install_error_handlers
from pmdi.core.migrations import current_revision, head_revision
from pmdi.core.state import AppState, open_state
from pmdi.core.text_input import RejectNulText
from pmdi.documents.router import router as documents_router
from pmdi.events.router import router as events_router
from pmdi.health.router import router as health_router
from pmdi.jobs.router import router as jobs_router
from pmdi.jobs.worker import EmbeddedWorker
from pmdi.limits.deps import limit_anonymous
from pmdi.llm.router import router as llm_router
from pmdi.mailboxes.router import router as mailboxes_router
from pmdi.mcp_server.http import McpEndpoint
from pmdi.observability.middleware import RequestObservability
from pmdi.observability.router import router as metrics_router
from pmdi.organizations.router import router as organizations_router
from pmdi.projects.router import router as projects_router
from pmdi.registers.router import router as registers_router
from pmdi.search.router import router as search_router
from pmdi.web.deps import STATIC
from pmdi.web.router import router as web_router
from pmdi.webhooks.router import router as webhooks_router

logger = logging.getLogger(__name__)


class DatabaseNotMigrated(RuntimeError):
    pass


async def check_migrated(state: AppState) -> None:
    current, head = await current_revision(state.engine), head_revision()
    if current != head:
        url = state.engine.url.render_as_string(hide_password=True)
        raise DatabaseNotMigrated(
            f"The database {url} is at migration {current or '(empty)'} but this version of pmdi needs "
            f"{head}. Run `pmdi migrate` first."
        )


def api_router() -> APIRouter:
    api = APIRouter(prefix="/api/v1", dependencies=[Depends(limit_anonymous)])
    for router in (
        auth_router,
        organizations_router,
        api_keys_router,
        projects_router,
        documents_router,
        analysis_router,
        jobs_router,
        events_router,
        audit_router,
        llm_router,
        search_router,
        registers_router,
        webhooks_router,
        mailboxes_router,
    ):
        api.include_router(router)
    return api


# No inline script or style anywhere (htmx is vendored, its indicator styles off); the interactive API docs
# load Swagger/ReDoc from a CDN and keep their own pages.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
_OWN_POLICY_PATHS = ("/docs", "/redoc")


_SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)


class SecurityHeaders:
    """Pure ASGI (Starlette's `BaseHTTPMiddleware` adds a task and two streams to every request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        own_policy = scope["path"].startswith(_OWN_POLICY_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if not own_policy:
                    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                for name, value in _SECURITY_HEADERS:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    mcp = McpEndpoint(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_state(settings) as state:
            await check_migrated(state)
            app.state.pmdi = state
            worker = None
            if settings.worker.backend == "inprocess" and settings.worker.embedded:
                worker = EmbeddedWorker(state)
                worker.start()
            try:
                async with mcp.serving(state):
                    yield
            finally:
                if worker is not None:
                    await worker.stop()

    app = FastAPI(title="PM Document Intelligence", version=__version__, lifespan=lifespan)
    install_error_handlers(app)
    app.add_middleware(RejectNulText)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestObservability)  # outermost: it times and logs everything inside
    app.include_router(health_router)
    app.include_router(metrics_router)
    app.include_router(api_router())
    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    mcp.mount(app)
    return app
