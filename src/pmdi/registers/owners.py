"""Owner names as documents write them → organisation members, so "my open actions" finds them.

An alias wins; then the full name, the e-mail address or its local part; then a first name or initials that
only one member has. Anything less certain stays a plain name.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.auth.models import User
from pmdi.organizations.models import Membership
from pmdi.registers.matching import normalise_name
from pmdi.registers.repository import AliasRepository


@dataclass
class OwnerDirectory:
    exact: dict[str, uuid.UUID] = field(default_factory=dict)
    partial: dict[str, set[uuid.UUID]] = field(default_factory=lambda: defaultdict(set))
    members: dict[uuid.UUID, str] = field(default_factory=dict)  # id -> the name to show

    def add_member(self, user_id: uuid.UUID, full_name: str, email: str) -> None:
        self.members[user_id] = full_name or email
        local = email.split("@", 1)[0]
        for name in (full_name, email, local.replace(".", " ").replace("_", " ")):
            key = normalise_name(name)
            if key:
                self.exact.setdefault(key, user_id)
        parts = normalise_name(full_name).split()
        if parts:
            self.partial[parts[0]].add(user_id)
            self.partial["".join(p[0] for p in parts)].add(user_id)

    def resolve(self, owner: str | None) -> uuid.UUID | None:
        if not owner:
            return None
        key = normalise_name(owner)
        if key in self.exact:
            return self.exact[key]
        candidates = self.partial.get(key, set())
        return next(iter(candidates)) if len(candidates) == 1 else None


async def directory(session: AsyncSession, organization_id: uuid.UUID) -> OwnerDirectory:
    found = OwnerDirectory()
    aliases = await AliasRepository(session, organization_id).list()
    for alias in aliases:
        found.exact[normalise_name(alias.alias)] = alias.user_id
    stmt = (
        select(User.id, User.full_name, User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == organization_id)
    )
    for user_id, full_name, email in (await session.execute(stmt)).all():
        found.add_member(user_id, full_name, email)
    return found
