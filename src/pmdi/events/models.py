from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pmdi.core.db import Base, UTCDateTime, utcnow
from pmdi.core.tenancy import OrgScoped


class Event(OrgScoped, Base):
    """Transactional outbox of realtime events: written with the change, published after commit.

    The increasing id is the SSE event id, so a reconnecting client resumes with `Last-Event-ID`.
    """

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_org_id", "organization_id", "id"),)

    id: Mapped[int] = mapped_column(  # type: ignore[assignment]
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    type: Mapped[str] = mapped_column(String(60))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
