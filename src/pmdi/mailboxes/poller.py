"""The worker's mailbox loop: claim due mailboxes, fetch new emails off the event loop, store each email and
its attachments as documents in one transaction with the mailbox's high-water mark, then flag them on the
server.

Storing and advancing `last_uid` commit together, so a crash stores an email at most once; flagging happens
after commit and is best effort (the high-water mark, not the \\Seen flag, decides what is new)."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.auth.models import User
from pmdi.auth.permissions import Permission
from pmdi.auth.principal import OrgContext, Person, Principal
from pmdi.core.db import unit_of_work, utcnow
from pmdi.core.errors import PmdiError
from pmdi.core.state import AppState
from pmdi.documents import service as documents_service
from pmdi.mailboxes import imap
from pmdi.mailboxes.errors import MailboxUnreachable
from pmdi.mailboxes.models import Mailbox
from pmdi.mailboxes.parse import Rules, parse, wanted
from pmdi.mailboxes.repository import claim_due, load_claimed
from pmdi.mailboxes.service import account
from pmdi.organizations.repository import UserMemberships
from pmdi.projects.repository import ProjectRepository

logger = logging.getLogger(__name__)


class MailboxPoller:
    def __init__(self, state: AppState) -> None:
        self.state = state

    async def poll_due(self) -> int:
        settings = self.state.settings.mail
        every, lease = timedelta(seconds=settings.poll_seconds), timedelta(seconds=settings.lease_seconds)
        async with unit_of_work(self.state.sessionmaker) as session:
            claimed = await claim_due(session, utcnow(), every, lease)
        for mailbox_id in claimed:
            await self.poll(mailbox_id)
        return len(claimed)

    async def poll(self, mailbox_id: uuid.UUID) -> None:
        async with self.state.sessionmaker() as session:
            mailbox = await load_claimed(session, mailbox_id)
            if mailbox is None:
                return
            login, move_to = account(mailbox, self.state.settings), mailbox.move_to
            last_uid, validity = mailbox.last_uid, mailbox.uid_validity
        limit = self.state.settings.mail.max_messages_per_poll
        try:
            fetched = await anyio.to_thread.run_sync(imap.fetch_after, login, last_uid, validity, limit)
        except MailboxUnreachable as exc:
            await self._finish(mailbox_id, error=exc.detail)
            return
        stored = await self._store(mailbox_id, fetched)
        try:
            await anyio.to_thread.run_sync(imap.finish, login, stored, move_to)
        except MailboxUnreachable as exc:
            logger.warning("stored emails of mailbox %s were not flagged: %s", mailbox_id, exc.detail)

    async def _store(self, mailbox_id: uuid.UUID, fetched: imap.Fetched) -> list[int]:
        async with unit_of_work(self.state.sessionmaker) as session:
            mailbox = await load_claimed(session, mailbox_id)
            if mailbox is None:
                return []
            ctx = await _acting_as(session, mailbox)
            if ctx is None:
                mailbox.enabled = False
                _release(mailbox, "Disabled: whoever added this mailbox can no longer upload documents here.")
                return []
            problems = await self._store_messages(session, ctx, mailbox, fetched)
            if fetched.messages:
                mailbox.last_uid = max(uid for uid, _ in fetched.messages)
            mailbox.uid_validity = fetched.uid_validity
            mailbox.emails_ingested += len(fetched.messages)
            _release(mailbox, "; ".join(problems[:5]) or None)
            return [uid for uid, _ in fetched.messages]

    async def _store_messages(
        self, session: AsyncSession, ctx: OrgContext, mailbox: Mailbox, fetched: imap.Fetched
    ) -> list[str]:
        """Files the upload checks refuse (an unsupported attachment) are skipped and reported, not fatal."""
        project = await ProjectRepository(session, ctx.organization_id).get_or_raise(mailbox.project_id)
        rules = Rules(mailbox.from_contains, mailbox.subject_contains, mailbox.attachments_only)
        problems = []
        for uid, raw in fetched.messages:
            for name, content in wanted(parse(raw, uid), rules):
                try:
                    await documents_service.upload_file(session, self.state, ctx, project, name, content)
                except PmdiError as exc:
                    problems.append(f"{name}: {exc.detail}")
        return problems

    async def _finish(self, mailbox_id: uuid.UUID, error: str) -> None:
        async with unit_of_work(self.state.sessionmaker) as session:
            mailbox = await load_claimed(session, mailbox_id)
            if mailbox is not None:
                _release(mailbox, error)


def _release(mailbox: Mailbox, error: str | None) -> None:
    mailbox.last_polled_at, mailbox.last_error = utcnow(), error
    mailbox.poll_requested, mailbox.claimed_until = False, None


async def _acting_as(session: AsyncSession, mailbox: Mailbox) -> OrgContext | None:
    """Emails are uploaded in the name of the member who added the mailbox, with their current role."""
    user = await session.get(User, mailbox.created_by_id) if mailbox.created_by_id else None
    if user is None or not user.is_active:
        return None
    role = await UserMemberships(session, user.id).role_in(mailbox.organization_id)
    ctx = OrgContext(Principal(Person.of(user)), mailbox.organization_id, role) if role is not None else None
    return ctx if ctx is not None and ctx.can(Permission.DOCUMENT_WRITE) else None
