from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr


class UsageOut(BaseModel):
    """`GET /usage`: the organisation's language-model usage in one month (UTC)."""

    month: str
    analyses: int
    calls: int
    tokens_in: int
    tokens_out: int
    cost_usd: float
    budget_usd: float | None


class OrgLLMIn(BaseModel):
    """An organisation's own model. `api_key` is write-only: omitted keeps the stored key."""

    enabled: bool = True
    provider: Literal["openai", "anthropic", "bedrock"]
    model: str = Field(min_length=1, max_length=200)
    base_url: str | None = Field(default=None, max_length=500)
    region: str | None = Field(default=None, max_length=40)
    api_key: SecretStr | None = None
    clear_api_key: bool = False
    monthly_budget_usd: float | None = Field(default=None, ge=0)


class OrgLLMOut(BaseModel):
    """What applies to the organisation's documents; never the key itself."""

    source: Literal["server", "organization"]
    enabled: bool
    analyzer: str
    provider: str
    model: str
    base_url: str | None
    region: str | None
    api_key_set: bool
    monthly_budget_usd: float | None
