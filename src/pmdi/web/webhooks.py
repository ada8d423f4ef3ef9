"""The organisation's webhooks: list, create (the signing secret is shown on that one response), enable and
disable, delete, send a test, and each webhook's delivery log with redelivery."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pmdi.auth.permissions import Permission
from pmdi.core.deps import Page, SessionDep, StateDep
from pmdi.web.deps import EditorDep, Viewer, ViewerDep, render
from pmdi.web.forms import parse_form
from pmdi.web.keys import no_store
from pmdi.webhooks import service
from pmdi.webhooks.deps import load_delivery, load_webhook
from pmdi.webhooks.schemas import SUBSCRIBABLE, WebhookCreate, WebhookCreated, WebhookUpdate

router = APIRouter()
HOOKS = "/settings/webhooks"
LOG_PAGE = 50


def _see(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=status.HTTP_303_SEE_OTHER)


async def _page(
    request: Request, viewer: Viewer, session: SessionDep, created: WebhookCreated | None = None
) -> Response:
    ctx = viewer.require(Permission.WEBHOOK_MANAGE)
    response = render(
        request,
        "settings_webhooks.html",
        viewer,
        webhooks=await service.list_webhooks(session, ctx),
        event_types=SUBSCRIBABLE,
        created=created,
    )
    return no_store(response) if created else response


@router.get(HOOKS, response_class=HTMLResponse)
async def webhooks(request: Request, viewer: ViewerDep, session: SessionDep) -> Response:
    return await _page(request, viewer, session)


@router.post(HOOKS, response_class=HTMLResponse)
async def create_webhook(
    request: Request,
    viewer: EditorDep,
    session: SessionDep,
    state: StateDep,
    url: Annotated[str, Form(max_length=2000)],
    events: Annotated[list[str] | None, Form()] = None,
    description: Annotated[str, Form(max_length=200)] = "",
    min_severity: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """The secret is kept only encrypted for signing, so this response is the one place it appears."""
    ctx = viewer.require(Permission.WEBHOOK_MANAGE)
    filters = {"min_severity": min_severity} if min_severity else {}
    fields = {"url": url.strip(), "events": events or [], "description": description, "filters": filters}
    data = parse_form(WebhookCreate, fields)
    created = await service.create_webhook(session, state.settings, ctx, data)
    return await _page(request, viewer, session, created)


async def _switch(
    webhook_id: uuid.UUID, viewer: Viewer, session: SessionDep, state: StateDep, enabled: bool
) -> Response:
    ctx = viewer.require(Permission.WEBHOOK_MANAGE)
    webhook = await load_webhook(webhook_id, ctx, session)
    await service.update_webhook(session, state.settings, ctx, webhook, WebhookUpdate(enabled=enabled))
    return _see(HOOKS)


@router.post(HOOKS + "/{webhook_id}/enable", response_class=HTMLResponse)
async def enable(webhook_id: uuid.UUID, viewer: EditorDep, session: SessionDep, state: StateDep) -> Response:
    return await _switch(webhook_id, viewer, session, state, True)


@router.post(HOOKS + "/{webhook_id}/disable", response_class=HTMLResponse)
async def disable(webhook_id: uuid.UUID, viewer: EditorDep, session: SessionDep, state: StateDep) -> Response:
    return await _switch(webhook_id, viewer, session, state, False)


@router.post(HOOKS + "/{webhook_id}/delete", response_class=HTMLResponse)
async def delete(webhook_id: uuid.UUID, viewer: EditorDep, session: SessionDep) -> Response:
    ctx = viewer.require(Permission.WEBHOOK_MANAGE)
    await service.delete_webhook(session, ctx, await load_webhook(webhook_id, ctx, session))
    return _see(HOOKS)


@router.post(HOOKS + "/{webhook_id}/test", response_class=HTMLResponse)
async def send_test(webhook_id: uuid.UUID, viewer: EditorDep, session: SessionDep) -> Response:
    ctx = viewer.require(Permission.WEBHOOK_MANAGE)
    await service.ping(session, ctx, await load_webhook(webhook_id, ctx, session))
    return _see(f"{HOOKS}/{webhook_id}")


@router.get(HOOKS + "/{webhook_id}", response_class=HTMLResponse)
async def deliveries(
    request: Request,
    webhook_id: uuid.UUID,
    viewer: ViewerDep,
    session: SessionDep,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    ctx = viewer.require(Permission.WEBHOOK_MANAGE)
    webhook = await load_webhook(webhook_id, ctx, session)
    log = await service.list_deliveries(session, ctx, webhook, Page(limit=LOG_PAGE, offset=offset))
    return render(request, "settings_webhook.html", viewer, webhook=webhook, log=log)


@router.post(HOOKS + "/{webhook_id}/deliveries/{delivery_id}/redeliver", response_class=HTMLResponse)
async def redeliver(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, viewer: EditorDep, session: SessionDep
) -> Response:
    ctx = viewer.require(Permission.WEBHOOK_MANAGE)
    await service.redeliver(session, ctx, await load_delivery(webhook_id, delivery_id, ctx, session))
    return _see(f"{HOOKS}/{webhook_id}")
