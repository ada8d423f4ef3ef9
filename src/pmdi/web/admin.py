"""Organisation settings: its name and this month's model spend, members and their roles, invitations
(and accepting one). API keys and the language model live in their own modules, mounted here."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pmdi.auth.permissions import Permission, Role
from pmdi.core.deps import SessionDep, StateDep
from pmdi.llm import service as llm_service
from pmdi.organizations import service as organizations_service
from pmdi.organizations.deps import load_invitation, load_member
from pmdi.organizations.schemas import (
    InvitationAccept,
    InvitationCreate,
    InvitationCreated,
    MemberRoleUpdate,
    OrganizationUpdate,
)
from pmdi.web import keys, llm_settings, webhooks
from pmdi.web.deps import (
    EditorDep,
    Viewer,
    ViewerDep,
    WebUserDep,
    check_csrf,
    remember_organization,
    render,
    templates,
)
from pmdi.web.forms import parse_form
from pmdi.web.keys import assignable_roles, no_store

router = APIRouter()
MEMBERS = "/settings/members"


def _see(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=status.HTTP_303_SEE_OTHER)


@router.get("/settings", response_class=HTMLResponse)
async def settings_home(
    request: Request, viewer: ViewerDep, session: SessionDep, state: StateDep
) -> Response:
    ctx = viewer.require(Permission.ORG_READ)
    # The same budget the JSON API's /usage reports, so both show one figure.
    budget = state.settings.analysis.llm.monthly_budget_usd
    usage = await llm_service.month_usage(session, ctx, None, budget)
    return render(request, "settings.html", viewer, usage=usage, can_rename=ctx.can(Permission.ORG_UPDATE))


@router.post("/settings/organization", response_class=HTMLResponse)
async def rename(
    viewer: EditorDep, session: SessionDep, name: Annotated[str, Form(max_length=200)]
) -> Response:
    ctx = viewer.require(Permission.ORG_UPDATE)
    data = parse_form(OrganizationUpdate, {"name": name.strip()})
    await organizations_service.rename_organization(session, ctx, data.name)
    return _see("/settings")


async def _members_page(
    request: Request, viewer: Viewer, session: SessionDep, created: InvitationCreated | None = None
) -> Response:
    ctx = viewer.require(Permission.MEMBER_READ)
    manage = ctx.can(Permission.MEMBER_MANAGE)
    response = render(
        request,
        "settings_members.html",
        viewer,
        members=await organizations_service.list_members(session, ctx),
        invitations=await organizations_service.list_invitations(session, ctx) if manage else [],
        manage=manage,
        roles=assignable_roles(viewer),
        created=created,
    )
    return no_store(response) if created else response


@router.get(MEMBERS, response_class=HTMLResponse)
async def members(request: Request, viewer: ViewerDep, session: SessionDep) -> Response:
    return await _members_page(request, viewer, session)


@router.post("/settings/members/{user_id}/role", response_class=HTMLResponse)
async def change_role(
    user_id: uuid.UUID, viewer: EditorDep, session: SessionDep, role: Annotated[str, Form(max_length=20)]
) -> Response:
    ctx = viewer.require(Permission.MEMBER_MANAGE)
    data = parse_form(MemberRoleUpdate, {"role": role})
    await organizations_service.change_role(session, ctx, await load_member(user_id, ctx, session), data.role)
    return _see(MEMBERS)


@router.post("/settings/members/{user_id}/remove", response_class=HTMLResponse)
async def remove_member(user_id: uuid.UUID, viewer: EditorDep, session: SessionDep) -> Response:
    ctx = viewer.require(Permission.MEMBER_MANAGE)
    await organizations_service.remove_member(session, ctx, await load_member(user_id, ctx, session))
    return _see(MEMBERS)


@router.post("/settings/invitations", response_class=HTMLResponse)
async def invite(
    request: Request,
    viewer: EditorDep,
    session: SessionDep,
    state: StateDep,
    email: Annotated[str, Form(max_length=320)],
    role: Annotated[str, Form(max_length=20)] = Role.MEMBER.value,
) -> Response:
    """Only a hash of the token is stored, so this response is the one chance to copy the accept link."""
    ctx = viewer.require(Permission.MEMBER_MANAGE)
    data = parse_form(InvitationCreate, {"email": email.strip(), "role": role})
    created = await organizations_service.invite(session, state.settings, ctx, data)
    return await _members_page(request, viewer, session, created)


@router.post("/settings/invitations/{invitation_id}/revoke", response_class=HTMLResponse)
async def revoke_invitation(invitation_id: uuid.UUID, viewer: EditorDep, session: SessionDep) -> Response:
    ctx = viewer.require(Permission.MEMBER_MANAGE)
    invitation = await load_invitation(invitation_id, ctx, session)
    await organizations_service.revoke_invitation(session, ctx, invitation)
    return _see(MEMBERS)


@router.get("/invitations/accept", response_class=HTMLResponse)
async def accept_form(
    request: Request, user: WebUserDep, token: Annotated[str, Query(max_length=200)]
) -> Response:
    """A confirmation, not the acceptance: a link followed (or prefetched) must not join anyone."""
    context = {"viewer": None, "csrf": user.csrf, "token": token, "email": user.principal.user.email}
    return no_store(templates.TemplateResponse(request, "invitation_accept.html", context))


@router.post("/invitations/accept", response_class=HTMLResponse)
async def accept(
    request: Request, user: WebUserDep, session: SessionDep, token: Annotated[str, Form(max_length=200)]
) -> Response:
    await check_csrf(request, user)
    data = parse_form(InvitationAccept, {"token": token})
    joined = await organizations_service.accept_invitation(session, user.principal, data.token)
    return remember_organization(_see("/projects"), joined.id)


for _module in (keys, llm_settings, webhooks):
    router.include_router(_module.router)
