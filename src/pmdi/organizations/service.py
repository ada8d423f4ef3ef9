"""Organisations, memberships and invitations, with the role rules that keep an organisation governable."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from urllib.parse import quote

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.api_keys.errors import RoleAboveYours
from pmdi.audit.service import record_in_org
from pmdi.auth.models import User
from pmdi.auth.permissions import Role
from pmdi.auth.principal import OrgContext, Principal
from pmdi.auth.secrets import new_token, sha256_hex
from pmdi.config import Settings
from pmdi.core.db import utcnow
from pmdi.organizations.errors import (
    AlreadyMember,
    InvitationEmailMismatch,
    InvitationNotFound,
    LastOwner,
    OwnerOnly,
)
from pmdi.organizations.models import Invitation, Membership, Organization
from pmdi.organizations.repository import (
    InvitationRepository,
    MembershipRepository,
    UserMemberships,
    find_invitation_by_hash,
)
from pmdi.organizations.schemas import (
    InvitationCreate,
    InvitationCreated,
    InvitationOut,
    MemberOut,
    OrganizationOut,
)


def _org_out(org: Organization, role: Role) -> OrganizationOut:
    return OrganizationOut(id=org.id, name=org.name, created_at=org.created_at, role=role)


async def create_organization(session: AsyncSession, principal: Principal, name: str) -> OrganizationOut:
    org = Organization(name=name.strip())
    session.add(org)
    await session.flush()
    await MembershipRepository(session, org.id).add(Membership(user_id=principal.user_id, role=Role.OWNER))
    await record_in_org(session, OrgContext(principal, org.id, Role.OWNER), "organization.created")
    return _org_out(org, Role.OWNER)


async def list_my_organizations(session: AsyncSession, principal: Principal) -> list[OrganizationOut]:
    rows = await UserMemberships(session, principal.user_id).all()
    if principal.api_key is not None:
        rows = [r for r in rows if r[1].id == principal.api_key.organization_id]
    return [_org_out(org, Role(m.role)) for m, org in rows]


async def get_organization(session: AsyncSession, ctx: OrgContext) -> OrganizationOut:
    org = await session.get(Organization, ctx.organization_id)
    assert org is not None, "an OrgContext always names an existing organisation"
    return _org_out(org, ctx.role)


async def rename_organization(session: AsyncSession, ctx: OrgContext, name: str) -> OrganizationOut:
    org = await session.get(Organization, ctx.organization_id)
    assert org is not None
    org.name = name.strip()
    await record_in_org(session, ctx, "organization.updated", ("organization", org.id), {"name": org.name})
    return _org_out(org, ctx.role)


async def list_members(session: AsyncSession, ctx: OrgContext) -> list[MemberOut]:
    rows = await MembershipRepository(session, ctx.organization_id).list_with_users()
    return [
        MemberOut(
            user_id=u.id, email=u.email, full_name=u.full_name, role=Role(m.role), joined_at=m.created_at
        )
        for m, u in rows
    ]


async def _guard_owner_change(repo: MembershipRepository, ctx: OrgContext, target: Membership) -> None:
    if target.role == Role.OWNER:
        if ctx.role != Role.OWNER:
            raise OwnerOnly()
        if await repo.count_owners() <= 1:
            raise LastOwner()


async def change_role(session: AsyncSession, ctx: OrgContext, target: Membership, role: Role) -> MemberOut:
    repo = MembershipRepository(session, ctx.organization_id)
    if role == Role.OWNER and ctx.role != Role.OWNER:
        raise OwnerOnly()
    if role != target.role:
        await _guard_owner_change(repo, ctx, target)
        old, target.role = target.role, role
        data = {"from": old, "to": role}
        await record_in_org(session, ctx, "member.role_changed", ("user", target.user_id), data)
    await session.flush()
    user = await session.get(User, target.user_id)
    assert user is not None
    return MemberOut(
        user_id=user.id, email=user.email, full_name=user.full_name, role=role, joined_at=target.created_at
    )


async def remove_member(session: AsyncSession, ctx: OrgContext, target: Membership) -> None:
    repo = MembershipRepository(session, ctx.organization_id)
    await _guard_owner_change(repo, ctx, target)
    await repo.delete(target)
    await record_in_org(session, ctx, "member.removed", ("user", target.user_id))


async def leave(session: AsyncSession, ctx: OrgContext) -> None:
    repo = MembershipRepository(session, ctx.organization_id)
    mine = await repo.get_by_user(ctx.user_id)
    assert mine is not None
    if mine.role == Role.OWNER and await repo.count_owners() <= 1:
        raise LastOwner()
    await repo.delete(mine)
    await record_in_org(session, ctx, "member.left", ("user", ctx.user_id))


async def invite(
    session: AsyncSession, settings: Settings, ctx: OrgContext, data: InvitationCreate
) -> InvitationCreated:
    if data.role.rank > ctx.role.rank:
        raise RoleAboveYours()
    email = str(data.email).lower()
    members = await list_members(session, ctx)
    if any(m.email == email for m in members):
        raise AlreadyMember()
    token = new_token(24)
    invitation = Invitation(
        email=email,
        role=data.role,
        token_hash=sha256_hex(token),
        invited_by_id=ctx.user_id,
        expires_at=utcnow() + timedelta(seconds=settings.auth.invitation_ttl_seconds),
    )
    await InvitationRepository(session, ctx.organization_id).add(invitation)
    await record_in_org(session, ctx, "invitation.created", ("invitation", invitation.id), {"email": email})
    accept_url = f"{settings.base_url.rstrip('/')}/invitations/accept?token={quote(token)}"
    return InvitationCreated(
        **InvitationOut.model_validate(invitation).model_dump(), token=token, accept_url=accept_url
    )


async def list_invitations(session: AsyncSession, ctx: OrgContext) -> Sequence[Invitation]:
    repo = InvitationRepository(session, ctx.organization_id)
    stmt = repo.select().where(Invitation.accepted_at.is_(None)).order_by(Invitation.created_at.desc())
    return await repo.list(stmt)


async def revoke_invitation(session: AsyncSession, ctx: OrgContext, invitation: Invitation) -> None:
    await InvitationRepository(session, ctx.organization_id).delete(invitation)
    await record_in_org(session, ctx, "invitation.revoked", ("invitation", invitation.id))


async def accept_invitation(session: AsyncSession, principal: Principal, token: str) -> OrganizationOut:
    invitation = await find_invitation_by_hash(session, sha256_hex(token))
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= utcnow():
        raise InvitationNotFound()
    if principal.api_key is not None or invitation.email != principal.user.email.lower():
        raise InvitationEmailMismatch()
    repo = MembershipRepository(session, invitation.organization_id)
    if await repo.get_by_user(principal.user_id) is not None:
        raise AlreadyMember()
    invitation.accepted_at = utcnow()
    invitation.accepted_by_id = principal.user_id
    try:
        await repo.add(Membership(user_id=principal.user_id, role=invitation.role))
    except IntegrityError as exc:
        raise AlreadyMember() from exc
    ctx = OrgContext(principal, invitation.organization_id, Role(invitation.role))
    await record_in_org(session, ctx, "invitation.accepted", ("invitation", invitation.id))
    return await get_organization(session, ctx)
