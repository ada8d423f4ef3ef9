from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from pmdi.auth.deps import OrgContextDep, Scoped, authorize_resource
from pmdi.auth.permissions import Permission
from pmdi.core.deps import SessionDep
from pmdi.webhooks.models import Webhook, WebhookDelivery
from pmdi.webhooks.repository import DeliveryRepository, WebhookRepository


async def load_webhook(webhook_id: uuid.UUID, ctx: OrgContextDep, session: SessionDep) -> Webhook:
    return await WebhookRepository(session, ctx.organization_id).get_or_raise(webhook_id)


async def load_delivery(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, ctx: OrgContextDep, session: SessionDep
) -> WebhookDelivery:
    webhook = await load_webhook(webhook_id, ctx, session)
    return await DeliveryRepository(session, ctx.organization_id).get_for_webhook(webhook.id, delivery_id)


ManagedWebhook = Annotated[
    Scoped[Webhook], Depends(authorize_resource(Permission.WEBHOOK_MANAGE, load_webhook))
]
ManagedDelivery = Annotated[
    Scoped[WebhookDelivery], Depends(authorize_resource(Permission.WEBHOOK_MANAGE, load_delivery))
]
