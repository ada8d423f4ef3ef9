"""An organisation's webhooks: create (the signing secret is shown once), change, enable and disable, delete,
and their delivery log with test pings and redeliveries. Every change is audited."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.audit.service import record, record_in_org
from pmdi.auth.principal import OrgContext
from pmdi.config import Settings
from pmdi.core import crypto
from pmdi.core.db import utcnow
from pmdi.core.deps import Page
from pmdi.webhooks import outbox, targets
from pmdi.webhooks.errors import WebhookDisabled
from pmdi.webhooks.models import Webhook, WebhookDelivery
from pmdi.webhooks.repository import DeliveryRepository, WebhookRepository
from pmdi.webhooks.schemas import (
    PING,
    DeliveryOut,
    DeliveryPage,
    WebhookCreate,
    WebhookCreated,
    WebhookOut,
    WebhookUpdate,
)
from pmdi.webhooks.signing import new_secret


async def create_webhook(
    session: AsyncSession, settings: Settings, ctx: OrgContext, data: WebhookCreate
) -> WebhookCreated:
    url = await targets.check(data.url, settings.webhooks.allow_private_targets)
    secret = new_secret()
    webhook = Webhook(
        url=url,
        description=data.description.strip(),
        events=[event.value for event in data.events],
        filters=data.filters.model_dump(exclude_none=True),
        enabled=data.enabled,
        secret_encrypted=crypto.encrypt(settings.secret_key(), secret),
        secret_prefix=secret[:10],
        created_by_id=ctx.user_id,
    )
    await WebhookRepository(session, ctx.organization_id).add(webhook)
    audited = {"url": url, "events": webhook.events, "filters": webhook.filters}
    await record_in_org(session, ctx, "webhook.created", ("webhook", webhook.id), audited)
    return WebhookCreated(**WebhookOut.model_validate(webhook).model_dump(), secret=secret)


async def list_webhooks(session: AsyncSession, ctx: OrgContext) -> Sequence[Webhook]:
    return await WebhookRepository(session, ctx.organization_id).newest_first()


async def update_webhook(
    session: AsyncSession, settings: Settings, ctx: OrgContext, webhook: Webhook, data: WebhookUpdate
) -> Webhook:
    """Fields left out (or null) stay as they are."""
    if data.url is not None:
        webhook.url = await targets.check(data.url, settings.webhooks.allow_private_targets)
    if data.events is not None:
        webhook.events = [event.value for event in data.events]
    if data.filters is not None:
        webhook.filters = data.filters.model_dump(exclude_none=True)
    if data.description is not None:
        webhook.description = data.description.strip()
    if data.enabled is True and not webhook.enabled:
        webhook.enabled, webhook.consecutive_failures = True, 0
        webhook.disabled_reason = webhook.disabled_at = None
    elif data.enabled is False and webhook.enabled:
        await disable(session, webhook, f"Disabled by {ctx.principal.user.email}.")
    await session.flush()
    changed = data.model_dump(mode="json", exclude_none=True)
    await record_in_org(session, ctx, "webhook.updated", ("webhook", webhook.id), changed)
    return webhook


async def disable(session: AsyncSession, webhook: Webhook, reason: str) -> None:
    """A disabled webhook receives nothing: what was still waiting for it is cancelled."""
    webhook.enabled, webhook.disabled_reason, webhook.disabled_at = False, reason, utcnow()
    cancelled = "Cancelled: the webhook was disabled."
    await DeliveryRepository(session, webhook.organization_id).cancel_pending(webhook.id, cancelled)
    await session.flush()


async def disable_failing(session: AsyncSession, webhook: Webhook, failures: int, last_error: str) -> None:
    """The worker's decision, audited without an actor."""
    reason = f"Disabled automatically after {failures} failed deliveries in a row (last: {last_error})."
    await disable(session, webhook, reason)
    await record(
        session,
        "webhook.disabled",
        organization_id=webhook.organization_id,
        target=("webhook", webhook.id),
        data={"reason": reason},
    )


async def delete_webhook(session: AsyncSession, ctx: OrgContext, webhook: Webhook) -> None:
    await WebhookRepository(session, ctx.organization_id).delete(webhook)
    await record_in_org(session, ctx, "webhook.deleted", ("webhook", webhook.id), {"url": webhook.url})


async def list_deliveries(
    session: AsyncSession, ctx: OrgContext, webhook: Webhook, page: Page
) -> DeliveryPage:
    repo = DeliveryRepository(session, ctx.organization_id)
    rows, total = await repo.page(repo.of_webhook(webhook.id), page.limit, page.offset)
    items = [DeliveryOut.model_validate(row) for row in rows]
    return DeliveryPage(items=items, total=total, limit=page.limit, offset=page.offset)


async def _enabled(session: AsyncSession, ctx: OrgContext, webhook_id: uuid.UUID) -> Webhook:
    webhook = await WebhookRepository(session, ctx.organization_id).get_or_raise(webhook_id)
    if not webhook.enabled:
        raise WebhookDisabled()
    return webhook


async def redeliver(session: AsyncSession, ctx: OrgContext, delivery: WebhookDelivery) -> DeliveryOut:
    """A new delivery of the same event (same payload and event id), with its own attempts."""
    webhook = await _enabled(session, ctx, delivery.webhook_id)
    again = await outbox.add(session, webhook, delivery.payload, redelivery_of_id=delivery.id)
    data = {"delivery": str(delivery.id), "event_type": delivery.event_type}
    await record_in_org(session, ctx, "webhook.redelivered", ("webhook", webhook.id), data)
    return DeliveryOut.model_validate(again)


async def ping(session: AsyncSession, ctx: OrgContext, webhook: Webhook) -> DeliveryOut:
    """A test delivery, signed and retried like any other."""
    webhook = await _enabled(session, ctx, webhook.id)
    data = {"webhook_id": str(webhook.id), "message": "A test delivery from pmdi."}
    body = outbox.payload(ctx.organization_id, uuid.uuid4(), PING, data)
    return DeliveryOut.model_validate(await outbox.add(session, webhook, body))
