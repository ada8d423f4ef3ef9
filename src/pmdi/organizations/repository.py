from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.auth.models import User
from pmdi.auth.permissions import Role
from pmdi.core.tenancy import OrgRepository
from pmdi.organizations.errors import InvitationNotFound, MemberNotFound
from pmdi.organizations.models import Invitation, Membership, Organization


class MembershipRepository(OrgRepository[Membership]):
    model = Membership
    not_found = MemberNotFound

    async def get_by_user(self, user_id: uuid.UUID) -> Membership | None:
        result = await self.session.execute(self.select().where(Membership.user_id == user_id))
        return result.scalar_one_or_none()

    async def list_with_users(self) -> Sequence[tuple[Membership, User]]:
        stmt = (
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.organization_id == self.organization_id)
            .order_by(Membership.created_at)
        )
        return [(row[0], row[1]) for row in (await self.session.execute(stmt)).all()]

    async def count_owners(self) -> int:
        stmt = select(func.count()).where(
            Membership.organization_id == self.organization_id, Membership.role == Role.OWNER
        )
        return int((await self.session.execute(stmt)).scalar_one())


class InvitationRepository(OrgRepository[Invitation]):
    model = Invitation
    not_found = InvitationNotFound


class UserMemberships:
    """Scoped to one person: which organisations they belong to, and with which role."""

    def __init__(self, session: AsyncSession, user_id: uuid.UUID) -> None:
        self.session = session
        self.user_id = user_id

    async def all(self) -> Sequence[tuple[Membership, Organization]]:
        stmt = (
            select(Membership, Organization)
            .join(Organization, Organization.id == Membership.organization_id)
            .where(Membership.user_id == self.user_id)
            .order_by(Organization.created_at)
        )
        return [(row[0], row[1]) for row in (await self.session.execute(stmt)).all()]

    async def role_in(self, organization_id: uuid.UUID) -> Role | None:
        stmt = select(Membership.role).where(
            Membership.user_id == self.user_id, Membership.organization_id == organization_id
        )
        role = (await self.session.execute(stmt)).scalar_one_or_none()
        return Role(role) if role else None

    async def organization(self, organization_id: uuid.UUID) -> Organization | None:
        if await self.role_in(organization_id) is None:
            return None
        return await self.session.get(Organization, organization_id)


async def find_invitation_by_hash(session: AsyncSession, token_hash: str) -> Invitation | None:
    """Unscoped by design: an invitation token is what grants access to its organisation."""
    result = await session.execute(select(Invitation).where(Invitation.token_hash == token_hash))
    return result.scalar_one_or_none()
