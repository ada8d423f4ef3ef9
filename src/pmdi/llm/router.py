from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from pmdi.auth.deps import authorize, authorize_org
from pmdi.auth.permissions import Permission
from pmdi.auth.principal import OrgContext
from pmdi.core.deps import SessionDep, StateDep
from pmdi.llm import org_settings, service
from pmdi.llm.schemas import OrgLLMIn, OrgLLMOut, UsageOut

router = APIRouter(tags=["usage"])

ReadOrg = Annotated[OrgContext, Depends(authorize(Permission.ORG_READ))]
ManageOrg = Annotated[OrgContext, Depends(authorize_org(Permission.ORG_UPDATE))]


@router.get("/usage", response_model=UsageOut)
async def get_usage(
    ctx: ReadOrg, session: SessionDep, state: StateDep, month: Annotated[str | None, Query()] = None
) -> UsageOut:
    budget = state.settings.analysis.llm.monthly_budget_usd
    return await service.month_usage(session, ctx, month, budget)


@router.get("/orgs/{org_id}/llm", response_model=OrgLLMOut)
async def get_org_llm(ctx: ManageOrg, session: SessionDep, state: StateDep) -> OrgLLMOut:
    return await org_settings.get_org_llm(session, state.settings, ctx)


@router.put("/orgs/{org_id}/llm", response_model=OrgLLMOut)
async def put_org_llm(ctx: ManageOrg, data: OrgLLMIn, session: SessionDep, state: StateDep) -> OrgLLMOut:
    return await org_settings.put_org_llm(session, state.settings, ctx, data)


@router.delete("/orgs/{org_id}/llm", status_code=status.HTTP_204_NO_CONTENT)
async def delete_org_llm(ctx: ManageOrg, session: SessionDep) -> None:
    await org_settings.delete_org_llm(session, ctx)
