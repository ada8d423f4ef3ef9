"""Who is looking at a page: the browser's session, its chosen organisation and the form token to echo."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from pmdi.auth import service as auth_service
from pmdi.auth.deps import CSRF_HEADER, SESSION_COOKIE, context_for
from pmdi.auth.errors import CsrfFailed
from pmdi.auth.permissions import Permission
from pmdi.auth.principal import OrgContext, Principal
from pmdi.auth.secrets import constant_time_equals, parse_uuid
from pmdi.core.deps import SessionDep, StateDep
from pmdi.core.errors import Forbidden, NotAuthenticated, Redirect
from pmdi.organizations import service as organizations_service
from pmdi.organizations.schemas import OrganizationOut

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
ORG_COOKIE = "pmdi_org"
NEW_ORGANIZATION = "/orgs/new"
# Jinja2Templates escapes every value in .html templates: document text and file names render inert.
templates = Jinja2Templates(directory=HERE / "templates")


@dataclass(frozen=True)
class WebUser:
    """A signed-in browser: its principal, the form token of its session and its organisations."""

    principal: Principal
    csrf: str
    organizations: list[OrganizationOut]


@dataclass(frozen=True)
class Viewer:
    user: WebUser
    ctx: OrgContext

    @property
    def organization(self) -> OrganizationOut:
        return next(o for o in self.user.organizations if o.id == self.ctx.organization_id)

    def require(self, permission: Permission) -> OrgContext:
        if not self.ctx.can(permission):
            raise Forbidden(f"Your role '{self.ctx.role}' does not allow '{permission}'.")
        return self.ctx


async def web_user(request: Request, session: SessionDep, state: StateDep) -> WebUser:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise NotAuthenticated()
    principal = await auth_service.authenticate_cookie(session, cookie)
    csrf = auth_service.csrf_token_for(state, principal.auth_session_id or uuid.uuid4())
    organizations = await organizations_service.list_my_organizations(session, principal)
    return WebUser(principal, csrf, organizations)


WebUserDep = Annotated[WebUser, Depends(web_user)]


async def viewer(request: Request, session: SessionDep, state: StateDep, user: WebUserDep) -> Viewer:
    """The organisation the browser chose (a cookie), else the first; none leads to the new-org form."""
    if not user.organizations:
        raise Redirect(NEW_ORGANIZATION)
    chosen = parse_uuid(request.cookies.get(ORG_COOKIE, ""))
    known = {o.id for o in user.organizations}
    org_id = chosen if chosen in known else user.organizations[0].id
    return Viewer(user, await context_for(session, user.principal, org_id, state))


ViewerDep = Annotated[Viewer, Depends(viewer)]


async def check_csrf(request: Request, user: WebUser) -> None:
    """htmx sends the token as a header (set on <body>); plain forms post it as a hidden field."""
    presented = request.headers.get(CSRF_HEADER)
    if presented is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        presented = str((await request.form()).get("csrf", ""))
    if not constant_time_equals(presented or "", user.csrf):
        raise CsrfFailed("This form has expired; reload the page and try again.")


async def editor(request: Request, found: ViewerDep) -> Viewer:
    await check_csrf(request, found.user)
    return found


EditorDep = Annotated[Viewer, Depends(editor)]


def render(request: Request, name: str, viewer: Viewer | None, **values: Any) -> Response:
    """A page or fragment; signed-in pages carry the form token and the organisation switcher."""
    context: dict[str, Any] = {"viewer": viewer, "csrf": viewer.user.csrf if viewer else None, **values}
    return templates.TemplateResponse(request, name, context)


def remember_organization(response: Response, org_id: uuid.UUID) -> Response:
    """The browser's chosen organisation; only a preference, checked against memberships on every request."""
    response.set_cookie(ORG_COOKIE, str(org_id), httponly=True, samesite="lax", path="/")
    return response
