from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.core.tenancy import OrgRepository
from pmdi.mailboxes.errors import MailboxNotFound
from pmdi.mailboxes.models import Mailbox


class MailboxRepository(OrgRepository[Mailbox]):
    model = Mailbox
    not_found = MailboxNotFound

    async def all(self) -> Sequence[Mailbox]:
        return await self.list(self.select().order_by(Mailbox.created_at))


async def claim_due(
    session: AsyncSession, now: datetime, every: timedelta, lease: timedelta
) -> list[uuid.UUID]:
    """Unscoped by design (the worker serves every organisation): mailboxes due for a poll, claimed in one
    conditional UPDATE, so two workers never poll the same one and SQLite never upgrades a read to a write."""
    free = or_(Mailbox.claimed_until.is_(None), Mailbox.claimed_until < now)
    due = (
        select(Mailbox.id)
        .where(
            Mailbox.enabled.is_(True),
            free,
            or_(
                Mailbox.poll_requested.is_(True),
                Mailbox.last_polled_at.is_(None),
                Mailbox.last_polled_at < now - every,
            ),
        )
        .order_by(Mailbox.last_polled_at.is_not(None), Mailbox.last_polled_at)
        .limit(20)
    )
    # `free` again on the outer statement: PostgreSQL re-checks it on a row another worker just claimed.
    claim = update(Mailbox).where(Mailbox.id.in_(due), free).values(claimed_until=now + lease)
    return list((await session.execute(claim.returning(Mailbox.id))).scalars())


async def load_claimed(session: AsyncSession, mailbox_id: uuid.UUID) -> Mailbox | None:
    return await session.get(Mailbox, mailbox_id)
