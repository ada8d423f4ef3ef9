"""Worker-side delivery bookkeeping across organisations: due rows, leases, outcomes, pruning.

Like the job queue, this is the one place that reads deliveries of every organisation, because the workers
serve them all. Every change is a conditional UPDATE on one row, so any number of workers can run: the claim
that changes the row wins, and only the lease holder of an attempt may record its outcome.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.core.db import utcnow
from pmdi.webhooks.models import FINISHED_STATES, DeliveryState, Webhook, WebhookDelivery


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def entry(self) -> dict[str, Any]:
        return {
            "at": utcnow().isoformat(),
            "status_code": self.status_code,
            "error": self.error,
            "duration_ms": self.duration_ms,
        }


def _due() -> ColumnElement[bool]:
    now = utcnow()
    pending = and_(WebhookDelivery.state == DeliveryState.PENDING, WebhookDelivery.not_before <= now)
    abandoned = and_(
        WebhookDelivery.state == DeliveryState.DELIVERING, WebhookDelivery.lease_expires_at < now
    )
    return or_(pending, abandoned)


async def claim(session: AsyncSession, owner: str, lease_seconds: float, limit: int) -> list[uuid.UUID]:
    """Take the lease on up to `limit` due deliveries (pending and due, or abandoned by a dead worker) in one
    conditional UPDATE: SQLite never upgrades a read to a write, and PostgreSQL re-checks `_due()` on a row
    another worker has just taken."""
    due = select(WebhookDelivery.id).where(_due()).order_by(WebhookDelivery.not_before).limit(limit)
    taken = (
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(due), _due())
        .values(
            state=DeliveryState.DELIVERING,
            lease_owner=owner,
            lease_expires_at=utcnow() + timedelta(seconds=lease_seconds),
            attempts=WebhookDelivery.attempts + 1,
            updated_at=utcnow(),
        )
        .returning(WebhookDelivery.id)
    )
    return list((await session.execute(taken)).scalars())


async def held(
    session: AsyncSession, delivery_id: uuid.UUID, owner: str, attempt: int | None = None
) -> WebhookDelivery | None:
    """The delivery, if this owner still holds its lease (for `attempt`, when given)."""
    stmt = select(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id,
        WebhookDelivery.state == DeliveryState.DELIVERING,
        WebhookDelivery.lease_owner == owner,
    )
    if attempt is not None:
        stmt = stmt.where(WebhookDelivery.attempts == attempt)
    return (await session.execute(stmt.execution_options(populate_existing=True))).scalar_one_or_none()


async def record(
    session: AsyncSession, delivery: WebhookDelivery, outcome: Outcome, state: DeliveryState, retry_in: float
) -> None:
    delivery.attempt_log = [*delivery.attempt_log, outcome.entry()]
    delivery.state, delivery.last_status_code, delivery.last_error = state, outcome.status_code, outcome.error
    delivery.lease_owner = delivery.lease_expires_at = None
    if state == DeliveryState.SUCCEEDED:
        delivery.delivered_at = utcnow()
    if state == DeliveryState.PENDING:
        delivery.not_before = utcnow() + timedelta(seconds=retry_in)
    await session.flush()


async def count_outcome(session: AsyncSession, webhook_id: uuid.UUID, failed: bool) -> int:
    """A finished delivery moves its webhook's run of failures; returns the run's new length."""
    value = Webhook.consecutive_failures + 1 if failed else 0
    await session.execute(update(Webhook).where(Webhook.id == webhook_id).values(consecutive_failures=value))
    stmt = select(Webhook.consecutive_failures).where(Webhook.id == webhook_id)
    return int((await session.execute(stmt)).scalar_one_or_none() or 0)


async def release(session: AsyncSession, owner: str) -> None:
    """A worker shutting down hands its unfinished attempts back; the interrupted attempt does not count."""
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.state == DeliveryState.DELIVERING, WebhookDelivery.lease_owner == owner)
        .values(
            state=DeliveryState.PENDING,
            lease_owner=None,
            lease_expires_at=None,
            attempts=WebhookDelivery.attempts - 1,
            not_before=utcnow(),
            updated_at=utcnow(),
        )
    )


async def prune(session: AsyncSession, retention_days: int) -> None:
    cutoff = utcnow() - timedelta(days=retention_days)
    await session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.state.in_(FINISHED_STATES), WebhookDelivery.updated_at < cutoff
        )
    )
