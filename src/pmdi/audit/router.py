from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from pmdi.audit import service
from pmdi.audit.schemas import AuditEventPage
from pmdi.auth.deps import authorize
from pmdi.auth.permissions import Permission
from pmdi.auth.principal import OrgContext
from pmdi.core.deps import PageDep, SessionDep

router = APIRouter(prefix="/audit-events", tags=["audit"])

ReadAudit = Annotated[OrgContext, Depends(authorize(Permission.AUDIT_READ))]


@router.get("", response_model=AuditEventPage)
async def list_audit_events(ctx: ReadAudit, page: PageDep, session: SessionDep) -> AuditEventPage:
    return await service.list_events(session, ctx, page.limit, page.offset)
