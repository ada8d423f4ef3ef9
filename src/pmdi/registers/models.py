from __future__ import annotations

import enum
import uuid
from datetime import date
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pmdi.core.db import Base, IdMixin, TimestampMixin
from pmdi.core.tenancy import OrgScoped


class Kind(enum.StrEnum):
    ACTION = "action"
    RISK = "risk"
    DECISION = "decision"
    MILESTONE = "milestone"


class Review(enum.StrEnum):
    SUGGESTED = "suggested"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MERGED = "merged"


# The lifecycle of each kind; the first status is where an item starts.
STATUSES: dict[Kind, tuple[str, ...]] = {
    Kind.ACTION: ("open", "in_progress", "done", "cancelled"),
    Kind.RISK: ("open", "mitigating", "closed"),
    Kind.DECISION: ("recorded", "reversed"),
    Kind.MILESTONE: ("planned", "achieved", "cancelled"),
}
CLOSED_STATUSES = frozenset({"done", "cancelled", "closed", "reversed", "achieved"})


class RegisterItem(OrgScoped, IdMixin, TimestampMixin, Base):
    """One tracked thing, however many documents mention it. Fields come from the mentions (latest wins)
    except those a user edited, which reprocessing never touches."""

    __tablename__ = "register_items"
    __table_args__ = (Index("ix_register_items_project_kind", "project_id", "kind"),)

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    category: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200))
    owner_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    due_date: Mapped[date | None] = mapped_column(Date)  # an action's due date, a milestone's date
    priority: Mapped[str | None] = mapped_column(String(10))
    severity: Mapped[str | None] = mapped_column(String(10))
    likelihood: Mapped[str | None] = mapped_column(String(10))
    mitigation: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    review: Mapped[str] = mapped_column(String(12), default=Review.SUGGESTED)
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    source: Mapped[str] = mapped_column(String(10), default="document")  # or "manual"
    edited_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    user_touched: Mapped[bool] = mapped_column(default=False)
    # An ambiguous match: the item it may be the same as, until a reviewer merges or keeps it.
    duplicate_of_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("register_items.id", ondelete="SET NULL")
    )
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("register_items.id", ondelete="SET NULL")
    )
    first_mentioned_on: Mapped[date | None] = mapped_column(Date)
    last_mentioned_on: Mapped[date | None] = mapped_column(Date)


class Mention(OrgScoped, IdMixin, TimestampMixin, Base):
    """One document's evidence for an item: an extracted item or an update line ("done", "moved to 10/12")."""

    __tablename__ = "register_mentions"

    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("register_items.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # "item" or "update"
    # No evidence (an LLM item whose quote was not found in the text): page, start and end are None.
    page: Mapped[int | None] = mapped_column()
    quote: Mapped[str] = mapped_column(Text, default="")
    start: Mapped[int | None] = mapped_column()
    end: Mapped[int | None] = mapped_column()
    mentioned_on: Mapped[date] = mapped_column(Date)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    score: Mapped[float | None] = mapped_column(Float)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Placed by a user (merge, split): reprocessing keeps it on this item instead of matching again.
    pinned: Mapped[bool] = mapped_column(default=False)


class Change(OrgScoped, IdMixin, TimestampMixin, Base):
    """An item's history. Changes from documents are rebuilt from the mentions; a user's are kept as made."""

    __tablename__ = "register_changes"

    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("register_items.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[str] = mapped_column(String(30))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(10))  # "document" or "user"
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_on: Mapped[date] = mapped_column(Date)


class OwnerAlias(OrgScoped, IdMixin, TimestampMixin, Base):
    """A name as documents write it ("PS", "Priya") for an organisation member."""

    __tablename__ = "owner_aliases"
    __table_args__ = (UniqueConstraint("organization_id", "alias"),)

    alias: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))


class CalendarFeed(OrgScoped, IdMixin, TimestampMixin, Base):
    """A secret ICS URL: one project's dates, or (no project) the dates of its owner's actions."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
