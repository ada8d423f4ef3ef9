from __future__ import annotations

import uuid

from pmdi.auth.deps import PathOrgContextDep
from pmdi.core.deps import SessionDep
from pmdi.organizations.models import Invitation, Membership
from pmdi.organizations.repository import InvitationRepository, MembershipRepository


async def load_member(user_id: uuid.UUID, ctx: PathOrgContextDep, session: SessionDep) -> Membership:
    repo = MembershipRepository(session, ctx.organization_id)
    member = await repo.get_by_user(user_id)
    if member is None:
        raise repo.not_found()
    return member


async def load_invitation(
    invitation_id: uuid.UUID, ctx: PathOrgContextDep, session: SessionDep
) -> Invitation:
    return await InvitationRepository(session, ctx.organization_id).get_or_raise(invitation_id)
