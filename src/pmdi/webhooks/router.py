from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from pmdi.auth.deps import authorize
from pmdi.auth.permissions import Permission
from pmdi.auth.principal import OrgContext
from pmdi.core.deps import PageDep, SessionDep, StateDep
from pmdi.webhooks import service
from pmdi.webhooks.deps import ManagedDelivery, ManagedWebhook
from pmdi.webhooks.schemas import (
    DeliveryOut,
    DeliveryPage,
    WebhookCreate,
    WebhookCreated,
    WebhookOut,
    WebhookUpdate,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

ManageWebhooks = Annotated[OrgContext, Depends(authorize(Permission.WEBHOOK_MANAGE))]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WebhookCreated)
async def create_webhook(
    data: WebhookCreate, ctx: ManageWebhooks, session: SessionDep, state: StateDep, response: Response
) -> WebhookCreated:
    """The answer carries the signing secret, the one time it is ever shown."""
    response.headers["Cache-Control"] = "no-store"
    return await service.create_webhook(session, state.settings, ctx, data)


@router.get("", response_model=list[WebhookOut])
async def list_webhooks(ctx: ManageWebhooks, session: SessionDep) -> object:
    return await service.list_webhooks(session, ctx)


@router.get("/{webhook_id}", response_model=WebhookOut)
async def get_webhook(webhook: ManagedWebhook) -> object:
    return webhook.obj


@router.patch("/{webhook_id}", response_model=WebhookOut)
async def update_webhook(
    webhook: ManagedWebhook, data: WebhookUpdate, session: SessionDep, state: StateDep
) -> object:
    return await service.update_webhook(session, state.settings, webhook.ctx, webhook.obj, data)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_webhook(webhook: ManagedWebhook, session: SessionDep) -> Response:
    await service.delete_webhook(session, webhook.ctx, webhook.obj)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{webhook_id}/deliveries", response_model=DeliveryPage)
async def list_deliveries(webhook: ManagedWebhook, page: PageDep, session: SessionDep) -> DeliveryPage:
    """Newest first: the event, each attempt's status code or error, and when the next one is due."""
    return await service.list_deliveries(session, webhook.ctx, webhook.obj, page)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryOut,
)
async def redeliver(delivery: ManagedDelivery, session: SessionDep) -> DeliveryOut:
    return await service.redeliver(session, delivery.ctx, delivery.obj)


@router.post("/{webhook_id}/test", status_code=status.HTTP_202_ACCEPTED, response_model=DeliveryOut)
async def test_webhook(webhook: ManagedWebhook, session: SessionDep) -> DeliveryOut:
    """Sends a `ping` event."""
    return await service.ping(session, webhook.ctx, webhook.obj)
