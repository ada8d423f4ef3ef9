"""Writes audit events in the caller's transaction, so they commit or roll back with the change."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.audit.models import AuditEvent
from pmdi.audit.repository import AuditRepository
from pmdi.audit.schemas import AuditEventOut, AuditEventPage
from pmdi.auth.principal import OrgContext


async def record(
    session: AsyncSession,
    action: str,
    *,
    organization_id: uuid.UUID | None = None,
    actor_user_id: uuid.UUID | None = None,
    actor_api_key_id: uuid.UUID | None = None,
    target: tuple[str, uuid.UUID] | None = None,
    data: dict[str, Any] | None = None,
    ip: str | None = None,
) -> None:
    session.add(
        AuditEvent(
            organization_id=organization_id,
            actor_user_id=actor_user_id,
            actor_api_key_id=actor_api_key_id,
            action=action,
            target_type=target[0] if target else None,
            target_id=str(target[1]) if target else None,
            data=data or {},
            ip=ip,
        )
    )
    await session.flush()


async def record_in_org(
    session: AsyncSession,
    ctx: OrgContext,
    action: str,
    target: tuple[str, uuid.UUID] | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    await record(
        session,
        action,
        organization_id=ctx.organization_id,
        actor_user_id=ctx.user_id,
        actor_api_key_id=ctx.api_key_id,
        target=target,
        data=data,
    )


async def list_events(session: AsyncSession, ctx: OrgContext, limit: int, offset: int) -> AuditEventPage:
    events = await AuditRepository(session, ctx.organization_id).recent(limit, offset)
    return AuditEventPage(items=[AuditEventOut.model_validate(e) for e in events], limit=limit, offset=offset)
