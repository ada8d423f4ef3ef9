from __future__ import annotations

from sqlalchemy import Float, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pmdi.core.db import Base, IdMixin, TimestampMixin
from pmdi.core.tenancy import OrgScoped


class Project(OrgScoped, IdMixin, TimestampMixin, Base):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # Extracted register items at or above this confidence skip the review queue; None: all are reviewed.
    auto_accept_confidence: Mapped[float | None] = mapped_column(Float)
