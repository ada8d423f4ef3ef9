from __future__ import annotations

from pydantic import BaseModel


class UsageOut(BaseModel):
    """`GET /usage`: the organisation's language-model usage in one month (UTC)."""

    month: str
    analyses: int
    calls: int
    tokens_in: int
    tokens_out: int
    cost_usd: float
    budget_usd: float | None
