"""Account pages (sign up, sign in, sign out, organisations) and the projects they lead to."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pmdi.auth import service as auth_service
from pmdi.auth.deps import SESSION_COOKIE, set_session_cookie
from pmdi.auth.permissions import Permission
from pmdi.auth.schemas import RegisterIn
from pmdi.core.deps import Page, SessionDep, StateDep, client_ip
from pmdi.core.errors import PmdiError
from pmdi.core.state import AppState
from pmdi.organizations import service as organizations_service
from pmdi.organizations.schemas import OrganizationCreate
from pmdi.projects import service as projects_service
from pmdi.projects.repository import ProjectRepository
from pmdi.projects.schemas import ProjectCreate
from pmdi.registers.overview import overview
from pmdi.web import admin, dashboard, documents, registers, search
from pmdi.web.deps import (
    NEW_ORGANIZATION,
    ORG_COOKIE,
    EditorDep,
    ViewerDep,
    WebUserDep,
    check_csrf,
    remember_organization,
    render,
    templates,
)
from pmdi.web.forms import parse_form

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=10_000)]


def _see(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=status.HTTP_303_SEE_OTHER)


@router.get("/")
async def home() -> RedirectResponse:
    return _see("/projects")


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> Response:
    return templates.TemplateResponse(request, "login.html", {"error": None, "email": ""})


async def _signed_in(
    request: Request, session: SessionDep, state: AppState, email: str, password: str
) -> str:
    _, cookie, _ = await auth_service.login_cookie(
        session, state, email, password, client_ip(request), request.headers.get("user-agent")
    )
    return cookie


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request, session: SessionDep, state: StateDep, email: Text, password: Text
) -> Response:
    try:
        cookie = await _signed_in(request, session, state, email, password)
    except PmdiError as exc:
        context = {"error": exc.detail, "email": email}
        return templates.TemplateResponse(request, "login.html", context, status_code=exc.status_code)
    response = _see("/projects")
    set_session_cookie(response, cookie, state.settings)
    return response


@router.get("/signup", response_class=HTMLResponse)
async def signup_form(request: Request) -> Response:
    return templates.TemplateResponse(request, "signup.html", {"error": None, "email": "", "full_name": ""})


@router.post("/signup", response_class=HTMLResponse)
async def signup(
    request: Request, session: SessionDep, state: StateDep, email: Text, password: Text, full_name: Text = ""
) -> Response:
    try:
        data = parse_form(RegisterIn, {"email": email, "password": password, "full_name": full_name})
        await auth_service.register(session, state, data, client_ip(request))
        cookie = await _signed_in(request, session, state, email, password)
    except PmdiError as exc:
        context = {"error": exc.detail, "email": email, "full_name": full_name}
        return templates.TemplateResponse(request, "signup.html", context, status_code=exc.status_code)
    response = _see(NEW_ORGANIZATION)
    set_session_cookie(response, cookie, state.settings)
    return response


@router.post("/logout", response_class=HTMLResponse)
async def logout(request: Request, session: SessionDep, user: WebUserDep) -> Response:
    await check_csrf(request, user)
    await auth_service.logout(session, user.principal)
    response = _see("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(ORG_COOKIE, path="/")
    return response


@router.get(NEW_ORGANIZATION, response_class=HTMLResponse)
async def new_organization(request: Request, user: WebUserDep) -> Response:
    return templates.TemplateResponse(request, "org_new.html", {"csrf": user.csrf, "viewer": None})


@router.post("/orgs", response_class=HTMLResponse)
async def create_organization(
    request: Request, session: SessionDep, user: WebUserDep, name: Annotated[str, Form(max_length=200)]
) -> Response:
    await check_csrf(request, user)
    data = parse_form(OrganizationCreate, {"name": name})
    created = await organizations_service.create_organization(session, user.principal, data.name)
    return _switched(created.id)


def _switched(org_id: uuid.UUID) -> Response:
    return remember_organization(_see("/projects"), org_id)


@router.post("/orgs/switch", response_class=HTMLResponse)
async def switch_organization(
    request: Request, user: WebUserDep, org_id: Annotated[uuid.UUID, Form()]
) -> Response:
    """Only to an organisation the user belongs to; the viewer dependency re-checks on every request."""
    await check_csrf(request, user)
    if org_id not in {o.id for o in user.organizations}:
        return _see("/projects")
    return _switched(org_id)


@router.get("/projects", response_class=HTMLResponse)
async def projects(request: Request, viewer: ViewerDep, session: SessionDep) -> Response:
    found = await projects_service.list_projects(session, viewer.ctx, Page(limit=200, offset=0))
    return render(request, "projects.html", viewer, projects=found.items)


@router.post("/projects", response_class=HTMLResponse)
async def create_project(
    viewer: EditorDep,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)],
    description: Text = "",
) -> Response:
    ctx = viewer.require(Permission.PROJECT_WRITE)
    data = parse_form(ProjectCreate, {"name": name, "description": description})
    project = await projects_service.create(session, ctx, data)
    return _see(f"/projects/{project.id}")


@router.get("/projects/{project_id}", response_class=HTMLResponse)
async def project_home(
    request: Request, project_id: uuid.UUID, viewer: ViewerDep, session: SessionDep
) -> Response:
    """Counts, overdue actions, open risks by severity, recent decisions and the milestone timeline."""
    project = await ProjectRepository(session, viewer.ctx.organization_id).get_or_raise(project_id)
    data = await overview(session, viewer.ctx, project, dt.date.today())
    return render(request, "project.html", viewer, project=project, data=data)


for _module in (documents, registers, search, dashboard, admin):
    router.include_router(_module.router)
