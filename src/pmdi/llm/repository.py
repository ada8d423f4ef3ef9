from __future__ import annotations

from sqlalchemy import func, select

from pmdi.core.tenancy import OrgRepository
from pmdi.llm.models import LLMUsage, OrgLLMSettings


class LLMUsageRepository(OrgRepository[LLMUsage]):
    model = LLMUsage

    async def month_totals(self, month: str) -> tuple[int, int, int, int, float]:
        """Documents, calls, tokens in, tokens out and cost of the organisation in one month."""
        stmt = select(
            func.count(LLMUsage.id),
            func.coalesce(func.sum(LLMUsage.calls), 0),
            func.coalesce(func.sum(LLMUsage.tokens_in), 0),
            func.coalesce(func.sum(LLMUsage.tokens_out), 0),
            func.coalesce(func.sum(LLMUsage.cost_usd), 0.0),
        ).where(LLMUsage.organization_id == self.organization_id, LLMUsage.month == month)
        row = (await self.session.execute(stmt)).one()
        return int(row[0]), int(row[1]), int(row[2]), int(row[3]), float(row[4])


class OrgLLMSettingsRepository(OrgRepository[OrgLLMSettings]):
    model = OrgLLMSettings

    async def current(self) -> OrgLLMSettings | None:
        return (await self.session.execute(self.select())).scalar_one_or_none()
