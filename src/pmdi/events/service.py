"""Emitting events: an outbox row in the caller's transaction, published on the organisation's channel after
commit, and the deliveries to the organisation's webhooks in that same transaction. A rolled-back change
therefore never announces itself."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.core.db import after_commit, after_rollback, utcnow
from pmdi.events.bus import EventBus
from pmdi.events.models import Event
from pmdi.events.schemas import EventOut, EventType
from pmdi.webhooks import outbox as webhooks

_PENDING = "pending_events"


def to_message(event: Event) -> str:
    return EventOut(
        id=event.id,
        type=EventType(event.type),
        organization_id=event.organization_id,
        data=event.data,
        created_at=event.created_at,
    ).model_dump_json()


async def emit(
    session: AsyncSession, bus: EventBus, organization_id: uuid.UUID, type_: EventType, data: dict[str, Any]
) -> None:
    event = Event(organization_id=organization_id, type=type_, data=data)
    session.add(event)
    await session.flush()
    await webhooks.enqueue(session, organization_id, [(type_, data)])
    pending: list[Event] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []

        async def publish() -> None:
            for item in session.info.pop(_PENDING, []):
                await bus.publish(item.organization_id, to_message(item))

        async def discard() -> None:
            session.info.pop(_PENDING, None)

        after_commit(session, publish)
        after_rollback(session, discard)
    pending.append(event)


async def announce(
    session: AsyncSession, organization_id: uuid.UUID, events: Sequence[tuple[EventType, dict[str, Any]]]
) -> None:
    """Events for integrations (webhooks) only: register changes come by the dozen per document, while the
    live stream stays the document progress that open pages follow."""
    await webhooks.enqueue(session, organization_id, events)


async def events_after(
    session: AsyncSession, organization_id: uuid.UUID, last_id: int, limit: int = 1000
) -> Sequence[Event]:
    stmt = (
        select(Event)
        .where(Event.organization_id == organization_id, Event.id > last_id)
        .order_by(Event.id)
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()


async def prune(session: AsyncSession, retention_hours: int) -> None:
    await session.execute(delete(Event).where(Event.created_at < utcnow() - timedelta(hours=retention_hours)))


async def latest_event_id(session: AsyncSession, organization_id: uuid.UUID) -> int:
    """A page's cursor: its live view resumes from here, so nothing between render and connect is missed."""
    stmt = select(func.max(Event.id)).where(Event.organization_id == organization_id)
    return int((await session.execute(stmt)).scalar_one_or_none() or 0)
