from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from pmdi.core.db import Base, IdMixin, TimestampMixin, UTCDateTime, utcnow
from pmdi.core.tenancy import OrgScoped


class DocumentAnalysis(OrgScoped, IdMixin, TimestampMixin, Base):
    """One document's analysis in the public contract's shape; re-analysis replaces it in one transaction."""

    __tablename__ = "document_analyses"

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), unique=True
    )
    analyzer: Mapped[str] = mapped_column(String(60))
    document_type: Mapped[str] = mapped_column(String(40), index=True)
    document_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    # "sha256:provider:model:prompt-version" of an LLM analysis that needed no fallback: identical content
    # analysed again with the same model and prompt reuses it at no cost.
    cache_key: Mapped[str | None] = mapped_column(String(400), nullable=True, index=True)
    # Set on every run: an unchanged result is still a fresh analysis, though no column changes.
    analyzed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
