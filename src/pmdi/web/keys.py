"""API keys of the organisation: list, create (the secret is shown on that one response) and revoke."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pmdi.api_keys import service as api_keys_service
from pmdi.api_keys.deps import load_api_key
from pmdi.api_keys.schemas import ApiKeyCreate
from pmdi.auth.permissions import Permission, Role
from pmdi.core.deps import SessionDep
from pmdi.core.errors import BadRequest
from pmdi.web.deps import EditorDep, Viewer, ViewerDep, render
from pmdi.web.forms import parse_form

router = APIRouter()
KEYS = "/settings/api-keys"


def assignable_roles(viewer: Viewer) -> list[Role]:
    """Nobody hands out more than they hold; the services refuse it anyway."""
    return [role for role in Role if role.rank <= viewer.ctx.role.rank]


def _expiry(raw: str) -> dt.datetime | None:
    """A day from the date picker: the key stops working as that day begins (UTC)."""
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise BadRequest("Expires on must be a date like 2026-10-31.") from exc
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


async def _page(request: Request, viewer: Viewer, session: SessionDep, secret: str | None = None) -> Response:
    ctx = viewer.require(Permission.API_KEY_MANAGE)
    response = render(
        request,
        "settings_keys.html",
        viewer,
        keys=await api_keys_service.list_keys(session, ctx),
        roles=assignable_roles(viewer),
        secret=secret,
        today=dt.datetime.now(dt.UTC).date(),
    )
    return no_store(response) if secret else response


def no_store(response: Response) -> Response:
    """A page showing a secret must not linger in a cache or come back with the Back button."""
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(KEYS, response_class=HTMLResponse)
async def api_keys(request: Request, viewer: ViewerDep, session: SessionDep) -> Response:
    return await _page(request, viewer, session)


@router.post(KEYS, response_class=HTMLResponse)
async def create_api_key(
    request: Request,
    viewer: EditorDep,
    session: SessionDep,
    name: Annotated[str, Form(max_length=100)],
    role: Annotated[str, Form(max_length=20)] = Role.MEMBER.value,
    expires_on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Only a hash is kept, so this response is the one place the secret ever appears."""
    ctx = viewer.require(Permission.API_KEY_MANAGE)
    data = parse_form(ApiKeyCreate, {"name": name.strip(), "role": role, "expires_at": _expiry(expires_on)})
    _, secret = await api_keys_service.create(session, ctx, data)
    return await _page(request, viewer, session, secret)


@router.post(KEYS + "/{key_id}/revoke", response_class=HTMLResponse)
async def revoke_api_key(key_id: uuid.UUID, viewer: EditorDep, session: SessionDep) -> Response:
    ctx = viewer.require(Permission.API_KEY_MANAGE)
    await api_keys_service.revoke(session, ctx, await load_api_key(key_id, ctx, session))
    return RedirectResponse(KEYS, status_code=status.HTTP_303_SEE_OTHER)
