"""Language-model usage: recorded per analysis run, summed per organisation and month, checked against the
monthly budget before any call is made."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.auth.principal import OrgContext
from pmdi.core.db import utcnow
from pmdi.core.errors import BadRequest
from pmdi.llm.models import LLMUsage
from pmdi.llm.repository import LLMUsageRepository
from pmdi.llm.schemas import UsageOut
from pmdi.observability.metrics import llm_usage_after_commit

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def this_month() -> str:
    return utcnow().strftime("%Y-%m")


async def record_usage(
    session: AsyncSession, organization_id: uuid.UUID, document_id: uuid.UUID | None, llm: dict[str, Any]
) -> None:
    usage = LLMUsage(
        organization_id=organization_id,
        document_id=document_id,
        month=this_month(),
        provider=str(llm.get("provider", "")),
        model=str(llm.get("model", "")),
        calls=int(llm.get("calls", 0)),
        tokens_in=int(llm.get("tokens_in", 0)),
        tokens_out=int(llm.get("tokens_out", 0)),
        cost_usd=float(llm.get("cost_usd", 0.0)),
        cached=bool(llm.get("cached", False)),
    )
    session.add(usage)
    await session.flush()
    llm_usage_after_commit(session, llm)


async def spent_this_month(session: AsyncSession, organization_id: uuid.UUID) -> float:
    return (await LLMUsageRepository(session, organization_id).month_totals(this_month()))[4]


async def month_usage(
    session: AsyncSession, ctx: OrgContext, month: str | None, budget_usd: float | None
) -> UsageOut:
    month = month or this_month()
    if not _MONTH.match(month):
        raise BadRequest("month must look like 2026-11.")
    analyses, calls, tokens_in, tokens_out, cost = await LLMUsageRepository(
        session, ctx.organization_id
    ).month_totals(month)
    return UsageOut(
        month=month,
        analyses=analyses,
        calls=calls,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost_usd=round(cost, 6),
        budget_usd=budget_usd,
    )
