from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pmdi.core.db import Base, IdMixin, TimestampMixin, UTCDateTime
from pmdi.core.tenancy import OrgScoped


class DocumentStatus(enum.StrEnum):
    QUEUED = "queued"
    EXTRACTING = "extracting"
    EXTRACTED = "extracted"
    ANALYZING = "analyzing"
    ANALYZED = "analyzed"
    INDEXING = "indexing"
    INDEXED = "indexed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Document(OrgScoped, IdMixin, TimestampMixin, Base):
    __tablename__ = "documents"
    # The unique key is what makes concurrent duplicate uploads safe, not the pre-check.
    __table_args__ = (
        UniqueConstraint("project_id", "sha256"),
        Index("ix_documents_org_created", "organization_id", "created_at"),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    original_filename: Mapped[str] = mapped_column(String(1024))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(120))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default=DocumentStatus.QUEUED, index=True)
    error_reason: Mapped[str | None] = mapped_column(Text)
    document_type: Mapped[str | None] = mapped_column(String(40), index=True)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    page_count: Mapped[int | None] = mapped_column()
    language: Mapped[str | None] = mapped_column(String(12))
    title: Mapped[str | None] = mapped_column(String(500))


class DocumentContent(OrgScoped, IdMixin, TimestampMixin, Base):
    """The extracted canonical text with its pages and blocks; replaced whole on re-extraction."""

    __tablename__ = "document_contents"

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), unique=True
    )
    text: Mapped[str] = mapped_column(Text)
    pages: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    blocks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
