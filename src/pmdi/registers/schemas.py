from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pmdi.registers.models import Kind

Level = Literal["high", "medium", "low"]


class View(enum.StrEnum):
    OVERDUE = "overdue"
    DUE_THIS_WEEK = "due_this_week"
    OPEN = "open"


class GroupBy(enum.StrEnum):
    OWNER = "owner"
    SEVERITY = "severity"
    STATUS = "status"
    CATEGORY = "category"
    REVIEW = "review"


class ItemFilters(BaseModel):
    project: uuid.UUID | None = None
    kind: Kind | None = None
    status: str | None = None
    review: str | None = None
    owner: str | None = None  # a name as written, or "me"
    severity: Level | None = None
    category: str | None = None
    view: View | None = None
    changed_since: dt.datetime | None = None
    today: dt.date | None = None  # for overdue and due-this-week; the server's date by default


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID
    kind: str
    category: str
    text: str
    owner: str | None
    owner_user_id: uuid.UUID | None
    due_date: dt.date | None
    priority: str | None
    severity: str | None
    likelihood: str | None
    mitigation: str | None
    status: str
    review: str
    confidence: float
    source: str
    edited_fields: list[str]
    duplicate_of_id: uuid.UUID | None
    merged_into_id: uuid.UUID | None
    first_mentioned_on: dt.date | None
    last_mentioned_on: dt.date | None
    mention_count: int = 0
    created_at: dt.datetime
    updated_at: dt.datetime


class MentionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    document_id: uuid.UUID
    filename: str = ""
    kind: str
    page: int | None
    quote: str
    start: int | None
    end: int | None
    mentioned_on: dt.date
    data: dict[str, Any]
    pinned: bool


class ChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    field: str
    old: str | None
    new: str | None
    source: str
    document_id: uuid.UUID | None
    actor_user_id: uuid.UUID | None
    changed_on: dt.date


class ItemDetail(ItemOut):
    mentions: list[MentionOut]
    history: list[ChangeOut]


class ItemPage(BaseModel):
    items: list[ItemOut]
    total: int
    limit: int
    offset: int


class GroupCount(BaseModel):
    key: str | None
    count: int


class ItemEdit(BaseModel):
    """Fields a person sets; each one set is never overwritten by documents afterwards."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, min_length=1, max_length=2000)
    owner: str | None = Field(default=None, max_length=200)
    owner_user_id: uuid.UUID | None = None
    due_date: dt.date | None = None
    priority: Level | None = None
    severity: Level | None = None
    likelihood: Level | None = None
    mitigation: str | None = Field(default=None, max_length=4000)
    status: str | None = Field(default=None, max_length=20)
    category: Literal["risk", "assumption", "issue", "dependency"] | None = None


class ItemCreate(ItemEdit):
    project_id: uuid.UUID
    kind: Kind
    text: str = Field(min_length=1, max_length=2000)


class MergeIn(BaseModel):
    into: uuid.UUID


class SplitIn(BaseModel):
    mention_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)


class AliasIn(BaseModel):
    alias: str = Field(min_length=1, max_length=200)
    user_id: uuid.UUID


class AliasOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    alias: str
    user_id: uuid.UUID
    created_at: dt.datetime


class FeedIn(BaseModel):
    """A project's feed (its actions and milestones), or without a project the caller's own actions."""

    project_id: uuid.UUID | None = None


class FeedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID | None
    created_at: dt.datetime


class FeedCreated(FeedOut):
    token: str
    url: str


class ExportFormat(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class ReportFormat(enum.StrEnum):
    MARKDOWN = "md"
    PDF = "pdf"


class DiffItem(BaseModel):
    id: uuid.UUID
    kind: str
    text: str
    before: str | None = None
    after: str | None = None


class RagChange(BaseModel):
    label: str
    before: str | None
    after: str | None


class ReportDiff(BaseModel):
    """What changed between two versions of a report; items are matched by register identity."""

    document_id: uuid.UUID
    against_id: uuid.UUID
    new_risks: list[DiffItem]
    closed_risks: list[DiffItem]
    dropped_risks: list[DiffItem]  # listed before, not now, not said to be closed
    severity_changes: list[DiffItem]
    new_actions: list[DiffItem]
    closed_actions: list[DiffItem]
    slipped: list[DiffItem]  # actions and milestones whose date moved later
    rag_changes: list[RagChange]
