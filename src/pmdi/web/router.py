from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pmdi.auth import service as auth_service
from pmdi.auth.deps import SESSION_COOKIE, set_session_cookie
from pmdi.auth.principal import OrgContext
from pmdi.auth.secrets import constant_time_equals
from pmdi.core.deps import Page, SessionDep, StateDep, client_ip
from pmdi.core.errors import PmdiError
from pmdi.core.state import AppState
from pmdi.projects import service as projects_service
from pmdi.projects.repository import ProjectRepository
from pmdi.registers import report
from pmdi.web.deps import csrf_for, page_context, templates

router = APIRouter(include_in_schema=False)
PageContext = Annotated[OrgContext | None, Depends(page_context)]
_LOGIN = "/login"


def _to_login() -> RedirectResponse:
    return RedirectResponse(_LOGIN, status_code=status.HTTP_303_SEE_OTHER)


def _page(request: Request, name: str, ctx: OrgContext, state: AppState, **values: object) -> Response:
    """A signed-in page: its forms carry the session's CSRF token."""
    return templates.TemplateResponse(request, name, {"csrf": csrf_for(state, ctx), **values})


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse("/projects", status_code=status.HTTP_303_SEE_OTHER)


@router.get(_LOGIN, response_class=HTMLResponse)
async def login_form(request: Request) -> Response:
    return templates.TemplateResponse(request, "login.html", {"error": None, "email": ""})


@router.post(_LOGIN, response_class=HTMLResponse)
async def login(
    request: Request,
    session: SessionDep,
    state: StateDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    ua = request.headers.get("user-agent")
    try:
        _, cookie, _ = await auth_service.login_cookie(
            session, state, email, password, client_ip(request), ua
        )
    except PmdiError as exc:
        context = {"error": exc.detail, "email": email}
        return templates.TemplateResponse(request, "login.html", context, status_code=exc.status_code)
    response = RedirectResponse("/projects", status_code=status.HTTP_303_SEE_OTHER)
    set_session_cookie(response, cookie, state.settings)
    return response


@router.post("/logout", response_class=HTMLResponse)
async def logout(
    ctx: PageContext, session: SessionDep, state: StateDep, csrf: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    if ctx is None:
        return _to_login()
    if not constant_time_equals(csrf, csrf_for(state, ctx)):
        return HTMLResponse("This form has expired; reload the page.", status_code=status.HTTP_403_FORBIDDEN)
    await auth_service.logout(session, ctx.principal)
    response = _to_login()
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/projects", response_class=HTMLResponse)
async def projects(request: Request, ctx: PageContext, session: SessionDep, state: StateDep) -> Response:
    if ctx is None:
        return _to_login()
    found = await projects_service.list_projects(session, ctx, Page(limit=200, offset=0))
    return _page(request, "projects.html", ctx, state, projects=found.items)


@router.get("/projects/{project_id}", response_class=HTMLResponse)
async def project_home(
    request: Request, project_id: uuid.UUID, ctx: PageContext, session: SessionDep, state: StateDep
) -> Response:
    """Counts, overdue actions, open risks by severity, recent decisions and the milestone timeline."""
    if ctx is None:
        return _to_login()
    project = await ProjectRepository(session, ctx.organization_id).get_or_raise(project_id)
    data = await report.gather(session, project)
    return _page(request, "project.html", ctx, state, project=project, data=data)
