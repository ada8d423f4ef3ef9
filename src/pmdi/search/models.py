"""Search chunks. The keyword index beside them is managed by the migration, not mapped here:

- SQLite: an FTS5 table `search_chunks_fts` (organisation, `context || text`), kept in step by triggers (so
  a cascade delete of a document clears it too); its rowid is the chunk's integer id, hence the integer ids.
- PostgreSQL: a stored generated column `tsv` (`to_tsvector('english', context || ' ' || text)`), GIN-indexed.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pmdi.core.db import Base, UTCDateTime, utcnow

FTS_TABLE = "search_chunks_fts"
# What exists in the database but is not mapped: the FTS5 table with its shadow tables, the GIN index.
UNMAPPED_TABLES = (FTS_TABLE,)
UNMAPPED_INDEXES = ("ix_search_chunks_tsv",)
UNMAPPED_COLUMNS = ("tsv",)


class SearchChunk(Base):
    __tablename__ = "search_chunks"
    # Ids are never reused, so (count, max id) per organisation tells a vector cache whether it is current.
    __table_args__ = (
        Index("ix_search_chunks_organization_id_id", "organization_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int] = mapped_column()
    page: Mapped[int] = mapped_column()
    start: Mapped[int] = mapped_column()
    end: Mapped[int] = mapped_column()
    context: Mapped[str] = mapped_column(String(1000), default="")
    text: Mapped[str] = mapped_column(Text)
    # float16 little-endian, L2-normalised; null when embeddings are switched off.
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def is_unmapped(type_: str, name: str | None) -> bool:
    """For Alembic's `include_object`: objects the migrations create by hand for the keyword index."""
    if name is None:
        return False
    if type_ == "index":
        return name in UNMAPPED_INDEXES
    if type_ == "column":
        return name in UNMAPPED_COLUMNS
    return type_ == "table" and any(name == t or name.startswith(f"{t}_") for t in UNMAPPED_TABLES)
