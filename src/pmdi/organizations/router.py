from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from pmdi.auth.deps import PrincipalDep, Scoped, authorize_org, authorize_resource, get_path_org_context
from pmdi.auth.permissions import Permission
from pmdi.auth.principal import OrgContext
from pmdi.core.deps import SessionDep, StateDep
from pmdi.organizations import service
from pmdi.organizations.deps import load_invitation, load_member
from pmdi.organizations.models import Invitation, Membership
from pmdi.organizations.schemas import (
    InvitationAccept,
    InvitationCreate,
    InvitationCreated,
    InvitationOut,
    MemberOut,
    MemberRoleUpdate,
    OrganizationCreate,
    OrganizationOut,
    OrganizationUpdate,
)

router = APIRouter(tags=["organizations"])

ReadOrg = Annotated[OrgContext, Depends(authorize_org(Permission.ORG_READ))]
UpdateOrg = Annotated[OrgContext, Depends(authorize_org(Permission.ORG_UPDATE))]
ReadMembers = Annotated[OrgContext, Depends(authorize_org(Permission.MEMBER_READ))]
ManageMembers = Annotated[OrgContext, Depends(authorize_org(Permission.MEMBER_MANAGE))]
ManagedMember = Annotated[
    Scoped[Membership],
    Depends(authorize_resource(Permission.MEMBER_MANAGE, load_member, get_path_org_context)),
]
ManagedInvitation = Annotated[
    Scoped[Invitation],
    Depends(authorize_resource(Permission.MEMBER_MANAGE, load_invitation, get_path_org_context)),
]


@router.post("/orgs", status_code=status.HTTP_201_CREATED, response_model=OrganizationOut)
async def create_organization(
    data: OrganizationCreate, principal: PrincipalDep, session: SessionDep
) -> OrganizationOut:
    return await service.create_organization(session, principal, data.name)


@router.get("/orgs", response_model=list[OrganizationOut])
async def list_organizations(principal: PrincipalDep, session: SessionDep) -> list[OrganizationOut]:
    return await service.list_my_organizations(session, principal)


@router.get("/orgs/{org_id}", response_model=OrganizationOut)
async def get_organization(ctx: ReadOrg, session: SessionDep) -> OrganizationOut:
    return await service.get_organization(session, ctx)


@router.patch("/orgs/{org_id}", response_model=OrganizationOut)
async def update_organization(
    data: OrganizationUpdate, ctx: UpdateOrg, session: SessionDep
) -> OrganizationOut:
    return await service.rename_organization(session, ctx, data.name)


@router.get("/orgs/{org_id}/members", response_model=list[MemberOut])
async def list_members(ctx: ReadMembers, session: SessionDep) -> list[MemberOut]:
    return await service.list_members(session, ctx)


@router.patch("/orgs/{org_id}/members/{user_id}", response_model=MemberOut)
async def change_member_role(data: MemberRoleUpdate, member: ManagedMember, session: SessionDep) -> MemberOut:
    return await service.change_role(session, member.ctx, member.obj, data.role)


@router.delete("/orgs/{org_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(member: ManagedMember, session: SessionDep) -> Response:
    await service.remove_member(session, member.ctx, member.obj)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/orgs/{org_id}/membership", status_code=status.HTTP_204_NO_CONTENT)
async def leave_organization(ctx: ReadOrg, session: SessionDep) -> Response:
    await service.leave(session, ctx)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/orgs/{org_id}/invitations", status_code=status.HTTP_201_CREATED, response_model=InvitationCreated
)
async def invite(
    data: InvitationCreate, ctx: ManageMembers, session: SessionDep, state: StateDep
) -> InvitationCreated:
    return await service.invite(session, state.settings, ctx, data)


@router.get("/orgs/{org_id}/invitations", response_model=list[InvitationOut])
async def list_invitations(ctx: ManageMembers, session: SessionDep) -> object:
    return await service.list_invitations(session, ctx)


@router.delete("/orgs/{org_id}/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_invitation(invitation: ManagedInvitation, session: SessionDep) -> Response:
    await service.revoke_invitation(session, invitation.ctx, invitation.obj)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/invitations/accept", response_model=OrganizationOut)
async def accept_invitation(
    data: InvitationAccept, principal: PrincipalDep, session: SessionDep
) -> OrganizationOut:
    return await service.accept_invitation(session, principal, data.token)
