from __future__ import annotations

import uuid

from pmdi.auth.deps import OrgContextDep
from pmdi.core.deps import SessionDep
from pmdi.mailboxes.models import Mailbox
from pmdi.mailboxes.repository import MailboxRepository


async def load_mailbox(mailbox_id: uuid.UUID, ctx: OrgContextDep, session: SessionDep) -> Mailbox:
    return await MailboxRepository(session, ctx.organization_id).get_or_raise(mailbox_id)
