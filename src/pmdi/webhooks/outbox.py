"""Deliveries are made from events in the event's own transaction, so an event that commits is never lost
to its webhooks and a rolled-back one never reaches them.

After commit the worker loops of this process are nudged; other processes find the rows on their next poll.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.core.db import after_commit, utcnow
from pmdi.webhooks.models import Webhook, WebhookDelivery
from pmdi.webhooks.repository import WebhookRepository
from pmdi.webhooks.schemas import SEVERITY_RANK, SUBSCRIBABLE

_listeners: set[Callable[[], None]] = set()


def listen(callback: Callable[[], None]) -> None:
    _listeners.add(callback)


def unlisten(callback: Callable[[], None]) -> None:
    _listeners.discard(callback)


async def nudge() -> None:
    for callback in list(_listeners):
        callback()


def matches(webhook: Webhook, event_type: str, data: dict[str, Any]) -> bool:
    if event_type not in webhook.events:
        return False
    least = webhook.filters.get("min_severity")
    if least and event_type.startswith("risk."):
        severity = (data.get("item") or {}).get("severity")
        return SEVERITY_RANK.get(severity or "", 0) >= SEVERITY_RANK[least]
    return True


def payload(
    organization_id: uuid.UUID, event_id: uuid.UUID, event_type: str, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": str(event_id),
        "type": event_type,
        "created_at": utcnow().isoformat(),
        "organization_id": str(organization_id),
        "data": data,
    }


def delivery(webhook: Webhook, body: dict[str, Any], **values: Any) -> WebhookDelivery:
    return WebhookDelivery(
        organization_id=webhook.organization_id,
        webhook_id=webhook.id,
        event_id=uuid.UUID(body["id"]),
        event_type=body["type"],
        payload=body,
        attempt_log=[],
        not_before=utcnow(),
        **values,
    )


async def add(
    session: AsyncSession, webhook: Webhook, body: dict[str, Any], **values: Any
) -> WebhookDelivery:
    """One delivery made by hand (a test ping, a redelivery)."""
    row = delivery(webhook, body, **values)
    session.add(row)
    await session.flush()
    after_commit(session, nudge)
    return row


async def enqueue(
    session: AsyncSession, organization_id: uuid.UUID, events: Sequence[tuple[str, dict[str, Any]]]
) -> None:
    """One query for the organisation's enabled webhooks, then a delivery per matching (event, webhook)."""
    wanted = [(event_type, data) for event_type, data in events if event_type in SUBSCRIBABLE]
    if not wanted:
        return
    webhooks = await WebhookRepository(session, organization_id).enabled()
    rows = []
    for event_type, data in wanted:
        body = payload(organization_id, uuid.uuid4(), event_type, data)
        rows += [delivery(hook, body) for hook in webhooks if matches(hook, event_type, data)]
    if rows:
        session.add_all(rows)
        await session.flush()
        after_commit(session, nudge)
