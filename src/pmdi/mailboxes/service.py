"""Mailboxes of an organisation: create (after checking the host and the login), list, change, delete, and ask
for a poll now. The worker does the polling (`poller.py`)."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.audit.service import record_in_org
from pmdi.auth.principal import OrgContext
from pmdi.config import MailSettings, Settings
from pmdi.core import crypto
from pmdi.core.network import addresses_of, first_private
from pmdi.mailboxes import imap
from pmdi.mailboxes.errors import MailboxUnreachable
from pmdi.mailboxes.models import Mailbox
from pmdi.mailboxes.repository import MailboxRepository
from pmdi.mailboxes.schemas import MailboxIn, MailboxUpdate
from pmdi.projects.repository import ProjectRepository

_ALLOW_HINT = "an administrator can allow that with PMDI_MAIL__ALLOW_PRIVATE_HOSTS=true"


async def check_host(host: str, port: int, settings: MailSettings) -> None:
    """The server must be public unless private hosts are allowed: no probing of the internal network."""
    try:
        addresses = await addresses_of(host, port)
    except (OSError, UnicodeError) as exc:
        raise MailboxUnreachable(f"The mail server {host!r} does not resolve.") from exc
    private = None if settings.allow_private_hosts else first_private(addresses)
    if private is not None:
        raise MailboxUnreachable(
            f"The mail server {host!r} is at {private}, not a public address; {_ALLOW_HINT}."
        )


def account(mailbox: Mailbox, settings: Settings) -> imap.ImapAccount:
    return imap.ImapAccount(
        host=mailbox.host,
        port=mailbox.port,
        security=mailbox.security,
        username=mailbox.username,
        password=crypto.decrypt(settings.secret_key(), mailbox.password_encrypted),
        folder=mailbox.folder,
        timeout=settings.mail.timeout_seconds,
    )


async def _try_login(mailbox: Mailbox, settings: Settings) -> None:
    await check_host(mailbox.host, mailbox.port, settings.mail)
    await anyio.to_thread.run_sync(imap.check, account(mailbox, settings))


async def create_mailbox(
    session: AsyncSession, settings: Settings, ctx: OrgContext, data: MailboxIn
) -> Mailbox:
    project = await ProjectRepository(session, ctx.organization_id).get_or_raise(data.project_id)
    secret = data.password.get_secret_value()
    fields = data.model_dump(exclude={"password", "project_id", "verify"})
    mailbox = Mailbox(
        project_id=project.id,
        created_by_id=ctx.user_id,
        password_encrypted=crypto.encrypt(settings.secret_key(), secret),
        **fields,
    )
    if data.verify:
        await _try_login(mailbox, settings)
    else:
        await check_host(mailbox.host, mailbox.port, settings.mail)
    await MailboxRepository(session, ctx.organization_id).add(mailbox)
    await record_in_org(session, ctx, "mailbox.created", ("mailbox", mailbox.id), {"host": mailbox.host})
    return mailbox


async def list_mailboxes(session: AsyncSession, ctx: OrgContext) -> Sequence[Mailbox]:
    return await MailboxRepository(session, ctx.organization_id).all()


async def update_mailbox(
    session: AsyncSession, settings: Settings, ctx: OrgContext, mailbox: Mailbox, data: MailboxUpdate
) -> Mailbox:
    given = data.model_dump(include=data.model_fields_set, exclude={"password"})
    for name, value in given.items():
        setattr(mailbox, name, value)
    if data.password is not None:
        mailbox.password_encrypted = crypto.encrypt(settings.secret_key(), data.password.get_secret_value())
    if data.password is not None or data.folder is not None or data.enabled:
        await _try_login(mailbox, settings)
        mailbox.last_error = None
    await session.flush()
    changed = sorted(given) + (["password"] if data.password is not None else [])
    await record_in_org(session, ctx, "mailbox.updated", ("mailbox", mailbox.id), {"fields": changed})
    return mailbox


async def delete_mailbox(session: AsyncSession, ctx: OrgContext, mailbox: Mailbox) -> None:
    await MailboxRepository(session, ctx.organization_id).delete(mailbox)
    await record_in_org(session, ctx, "mailbox.deleted", ("mailbox", mailbox.id))


async def request_poll(session: AsyncSession, ctx: OrgContext, mailbox: Mailbox) -> Mailbox:
    """The worker polls it on its next tick, whatever the interval."""
    mailbox.poll_requested = True
    await session.flush()
    return mailbox
