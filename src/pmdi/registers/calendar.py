"""ICS calendar feeds of action due dates and milestones, behind secret URLs calendar apps can poll.

The token in the URL is the only credential (calendar apps send no headers), so it is random, shown once,
stored hashed, and revocable; a feed shows what its creator may read, and stops when they leave the
organisation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Sequence

import anyio.to_thread
from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.audit.service import record_in_org
from pmdi.auth.permissions import Permission
from pmdi.auth.principal import OrgContext
from pmdi.core.db import utcnow
from pmdi.organizations.models import Membership
from pmdi.projects.repository import ProjectRepository
from pmdi.registers.errors import FeedNotFound
from pmdi.registers.models import CalendarFeed, Kind, RegisterItem
from pmdi.registers.repository import FeedRepository, ItemRepository
from pmdi.registers.schemas import FeedCreated, FeedIn, FeedOut

_PRODID = "-//pmdi//project registers//EN"
_TOKEN_BYTES = 32


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_feed(session: AsyncSession, ctx: OrgContext, data: FeedIn, base_url: str) -> FeedCreated:
    if data.project_id is not None:
        await ProjectRepository(session, ctx.organization_id).get_or_raise(data.project_id)
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    feed = CalendarFeed(user_id=ctx.user_id, project_id=data.project_id, token_hash=_hash(token))
    await FeedRepository(session, ctx.organization_id).add(feed)
    await record_in_org(session, ctx, "calendar_feed.created", ("calendar_feed", feed.id))
    url = f"{base_url.rstrip('/')}/api/v1/calendar.ics?token={token}"
    return FeedCreated(**FeedOut.model_validate(feed).model_dump(), token=token, url=url)


async def list_feeds(session: AsyncSession, ctx: OrgContext) -> list[FeedOut]:
    return [
        FeedOut.model_validate(f)
        for f in await FeedRepository(session, ctx.organization_id).of_user(ctx.user_id)
    ]


async def revoke_feed(session: AsyncSession, ctx: OrgContext, feed_id: uuid.UUID) -> None:
    repo = FeedRepository(session, ctx.organization_id)
    feed = await repo.get_or_raise(feed_id)
    if feed.user_id != ctx.user_id and not ctx.can(Permission.MEMBER_MANAGE):
        raise FeedNotFound()
    await repo.delete(feed)
    await record_in_org(session, ctx, "calendar_feed.revoked", ("calendar_feed", feed.id))


async def _feed_by_token(session: AsyncSession, token: str) -> CalendarFeed:
    """The one lookup not scoped by an organisation: the secret token is what names it."""
    stmt = (
        select(CalendarFeed)
        .join(
            Membership,
            (Membership.user_id == CalendarFeed.user_id)
            & (Membership.organization_id == CalendarFeed.organization_id),
        )
        .where(CalendarFeed.token_hash == _hash(token))
    )
    feed = (await session.execute(stmt)).scalar_one_or_none()
    if feed is None:
        raise FeedNotFound("This calendar link is not valid (revoked, or its owner left the organisation).")
    return feed


async def feed_ics(session: AsyncSession, token: str) -> bytes:
    feed = await _feed_by_token(session, token)
    repo = ItemRepository(session, feed.organization_id)
    stmt = repo.live().where(RegisterItem.due_date.is_not(None))
    if feed.project_id is not None:
        stmt = stmt.where(RegisterItem.project_id == feed.project_id, RegisterItem.kind.in_(_KINDS))
        name = (await ProjectRepository(session, feed.organization_id).get_or_raise(feed.project_id)).name
    else:
        stmt = stmt.where(RegisterItem.owner_user_id == feed.user_id, RegisterItem.kind == Kind.ACTION)
        name = "My actions"
    items = await repo.list(stmt.order_by(RegisterItem.due_date))
    projects = {p.id: p.name for p in await ProjectRepository(session, feed.organization_id).list()}
    return await anyio.to_thread.run_sync(to_ics, name, items, projects)


_KINDS = (Kind.ACTION.value, Kind.MILESTONE.value)


def to_ics(name: str, items: Sequence[RegisterItem], projects: dict[uuid.UUID, str]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", _PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"pmdi: {name}")
    stamp = utcnow()
    for item in items:
        if item.due_date is None:
            continue
        event = Event()
        label = "Due" if item.kind == Kind.ACTION else "Milestone"
        event.add("uid", f"{item.id}@pmdi")
        event.add("dtstamp", stamp)
        event.add("dtstart", item.due_date)
        event.add("dtend", item.due_date + dt.timedelta(days=1))
        event.add("summary", f"{label}: {item.text[:200]}")
        owner = f"Owner: {item.owner}\n" if item.owner else ""
        event.add(
            "description", f"{owner}Project: {projects.get(item.project_id, '')}\nStatus: {item.status}"
        )
        event.add("status", "CANCELLED" if item.status == "cancelled" else "CONFIRMED")
        calendar.add_component(event)
    return bytes(calendar.to_ical())
