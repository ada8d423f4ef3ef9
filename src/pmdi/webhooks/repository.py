from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, update

from pmdi.core.db import utcnow
from pmdi.core.tenancy import OrgRepository
from pmdi.webhooks.errors import DeliveryNotFound, WebhookNotFound
from pmdi.webhooks.models import DeliveryState, Webhook, WebhookDelivery


class WebhookRepository(OrgRepository[Webhook]):
    model = Webhook
    not_found = WebhookNotFound

    async def enabled(self) -> Sequence[Webhook]:
        return await self.list(self.select().where(Webhook.enabled.is_(True)))

    async def newest_first(self) -> Sequence[Webhook]:
        return await self.list(self.select().order_by(Webhook.created_at.desc(), Webhook.id))


class DeliveryRepository(OrgRepository[WebhookDelivery]):
    model = WebhookDelivery
    not_found = DeliveryNotFound

    def of_webhook(self, webhook_id: uuid.UUID) -> Select[WebhookDelivery]:
        return (
            self.select()
            .where(WebhookDelivery.webhook_id == webhook_id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
        )

    async def get_for_webhook(self, webhook_id: uuid.UUID, delivery_id: uuid.UUID) -> WebhookDelivery:
        found = await self.list(self.of_webhook(webhook_id).where(WebhookDelivery.id == delivery_id))
        if not found:
            raise DeliveryNotFound()
        return found[0]

    async def cancel_pending(self, webhook_id: uuid.UUID, reason: str) -> None:
        await self.session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.organization_id == self.organization_id,
                WebhookDelivery.webhook_id == webhook_id,
                WebhookDelivery.state == DeliveryState.PENDING,
            )
            .values(state=DeliveryState.CANCELLED, last_error=reason, updated_at=utcnow())
        )
