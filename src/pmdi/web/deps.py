from __future__ import annotations

import uuid
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from pmdi.auth import service as auth_service
from pmdi.auth.deps import SESSION_COOKIE, context_for
from pmdi.auth.principal import OrgContext
from pmdi.core.deps import SessionDep
from pmdi.core.errors import NotAuthenticated
from pmdi.core.state import AppState

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
# Jinja2Templates escapes every value in .html templates: document text and file names render inert.
templates = Jinja2Templates(directory=HERE / "templates")


async def page_context(request: Request, session: SessionDep) -> OrgContext | None:
    """The signed-in browser's organisation context, or None: pages redirect to the login form instead of
    answering 401."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        principal = await auth_service.authenticate_cookie(session, cookie)
    except NotAuthenticated:
        return None
    return await context_for(session, principal, None)


def csrf_for(state: AppState, ctx: OrgContext) -> str:
    """The form token of this browser session (the same one the JSON API wants in `X-CSRF-Token`)."""
    return auth_service.csrf_token_for(state, ctx.principal.auth_session_id or uuid.uuid4())
