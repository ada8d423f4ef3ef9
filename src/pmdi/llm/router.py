from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from pmdi.auth.deps import authorize
from pmdi.auth.permissions import Permission
from pmdi.auth.principal import OrgContext
from pmdi.core.deps import SessionDep, StateDep
from pmdi.llm import service
from pmdi.llm.schemas import UsageOut

router = APIRouter(tags=["usage"])

ReadOrg = Annotated[OrgContext, Depends(authorize(Permission.ORG_READ))]


@router.get("/usage", response_model=UsageOut)
async def get_usage(
    ctx: ReadOrg, session: SessionDep, state: StateDep, month: Annotated[str | None, Query()] = None
) -> UsageOut:
    budget = state.settings.analysis.llm.monthly_budget_usd
    return await service.month_usage(session, ctx, month, budget)
