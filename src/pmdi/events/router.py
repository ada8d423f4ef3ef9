from __future__ import annotations

import contextlib
import json
import uuid
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Header, Query, Request, WebSocket, WebSocketDisconnect, status
from fastapi.responses import StreamingResponse

from pmdi.auth.deps import authenticate, context_for, get_principal
from pmdi.auth.permissions import Permission
from pmdi.auth.principal import OrgContext
from pmdi.auth.secrets import parse_uuid
from pmdi.core.deps import SessionDep, StateDep
from pmdi.core.errors import Forbidden, PmdiError
from pmdi.core.state import AppState
from pmdi.events.streams import Control, event_messages, sse_stream
from pmdi.organizations.errors import OrganizationNotFound

router = APIRouter(tags=["events"])


def _org_id(raw: str | None) -> uuid.UUID | None:
    if raw is None:
        return None
    org_id = parse_uuid(raw)
    if org_id is None:
        raise OrganizationNotFound()
    return org_id


def _last_id(raw: str | None) -> int | None:
    return int(raw) if raw is not None and raw.isdigit() else None


def _check_read(ctx: OrgContext) -> OrgContext:
    if not ctx.can(Permission.DOCUMENT_READ):
        raise Forbidden()
    return ctx


@router.get("/events", response_class=StreamingResponse)
async def server_sent_events(
    request: Request,
    state: StateDep,
    session: SessionDep,
    org_id: Annotated[str | None, Query(description="Organisation (or the X-Org-Id header)")] = None,
    last_event_id: Annotated[str | None, Query()] = None,
    last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    x_org_id: Annotated[str | None, Header(alias="X-Org-Id")] = None,
) -> StreamingResponse:
    """Server-sent events for one organisation (htmx `hx-ext="sse"`); resume with `Last-Event-ID`."""
    principal = await get_principal(request, state, session)
    ctx = _check_read(await context_for(session, principal, _org_id(org_id or x_org_id), state))
    resume = _last_id(last_event_id_header or last_event_id)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(
        sse_stream(state, ctx.organization_id, resume), media_type="text/event-stream", headers=headers
    )


@router.websocket("/ws")
async def websocket_events(websocket: WebSocket, state: StateDep) -> None:
    """Events of one organisation: `?org_id=` or X-Org-Id; `?access_token=` or cookie; `?last_event_id=`."""
    try:
        ctx = await _authorize_socket(websocket, state)
    except PmdiError as exc:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason=exc.detail[:120])
        return
    await websocket.accept()
    resume = _last_id(websocket.query_params.get("last_event_id"))
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        async for message in event_messages(state, ctx.organization_id, resume):
            text = json.dumps({"type": message.name}) if isinstance(message, Control) else message.text
            await websocket.send_text(text)
        await websocket.close(code=status.WS_1000_NORMAL_CLOSURE, reason="connection lifetime reached")


async def _authorize_socket(websocket: WebSocket, state: AppState) -> OrgContext:
    async with state.sessionmaker() as session:
        principal = await authenticate(websocket, state, session, unsafe=False)
        if principal.via_cookie:
            _check_same_origin(websocket)
        raw_org = websocket.query_params.get("org_id") or websocket.headers.get("x-org-id")
        return _check_read(await context_for(session, principal, _org_id(raw_org), state))


def _check_same_origin(websocket: WebSocket) -> None:
    """Cookies ride along on cross-site WebSocket handshakes; only our own pages may use them."""
    origin = websocket.headers.get("origin")
    if origin is None or urlsplit(origin).netloc != websocket.headers.get("host"):
        raise Forbidden("Cross-origin WebSocket connections must authenticate with a token.")
