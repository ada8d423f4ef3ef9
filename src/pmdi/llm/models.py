from __future__ import annotations

import uuid

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pmdi.core.db import Base, IdMixin, TimestampMixin
from pmdi.core.tenancy import OrgScoped


class LLMUsage(OrgScoped, IdMixin, TimestampMixin, Base):
    """One analysis run's language-model usage. Kept when the analysis is replaced or the document deleted:
    what was spent stays spent, for the monthly totals and the budget."""

    __tablename__ = "llm_usage"
    __table_args__ = (Index("ix_llm_usage_org_month", "organization_id", "month"),)

    document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL"), nullable=True
    )
    month: Mapped[str] = mapped_column(String(7))  # "2026-11", UTC
    provider: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(200))
    calls: Mapped[int] = mapped_column(Integer, default=0)
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    cached: Mapped[bool] = mapped_column(Boolean, default=False)


class OrgLLMSettings(OrgScoped, IdMixin, TimestampMixin, Base):
    """An organisation's own language model, overriding the server's default; the key is encrypted."""

    __tablename__ = "org_llm_settings"
    __table_args__ = (UniqueConstraint("organization_id", name="uq_org_llm_settings_organization_id"),)

    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    provider: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(200))
    base_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    region: Mapped[str | None] = mapped_column(String(40), nullable=True)
    api_key_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    monthly_budget_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
