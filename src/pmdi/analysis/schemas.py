"""The analysis contract: what every analyzer (offline rules, LLM providers) returns, stores and serves.

Field names and value sets are part of the public API (`pmdi analyze`, `GET /documents/{id}/analysis`);
extra fields may be added, existing ones never change meaning.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class DocumentType(enum.StrEnum):
    MEETING_NOTES = "meeting_notes"
    STATUS_REPORT = "status_report"
    RISK_REGISTER = "risk_register"
    PROJECT_PLAN = "project_plan"
    STATEMENT_OF_WORK = "statement_of_work"
    CHANGE_REQUEST = "change_request"
    EMAIL = "email"
    DECISION_LOG = "decision_log"
    OTHER = "other"


Level = Literal["high", "medium", "low"]


class Evidence(BaseModel):
    """Where an item came from: `text[start:end] == quote` in the document's extracted text."""

    page: int
    quote: str
    start: int
    end: int


class Item(BaseModel):
    model_config = ConfigDict(extra="allow")

    evidence: Evidence | None = None
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)


class ActionItem(Item):
    text: str
    owner: str | None = None
    due_date: dt.date | None = None
    priority: Level | None = None
    status: Literal["open", "done"] = "open"


class Risk(Item):
    text: str
    severity: Level | None = None
    likelihood: Level | None = None
    owner: str | None = None
    mitigation: str | None = None
    category: Literal["risk", "assumption", "issue", "dependency"] = "risk"


class Decision(Item):
    text: str


class Milestone(Item):
    name: str
    date: dt.date | None = None


class Analysis(BaseModel):
    model_config = ConfigDict(extra="allow")

    document_type: DocumentType = DocumentType.OTHER
    document_date: dt.date | None = None
    summary: str = ""
    summary_points: list[str] = Field(default_factory=list)
    action_items: list[ActionItem] = Field(default_factory=list)
    risks: list[Risk] = Field(default_factory=list)
    # A RAID register's other rows: assumptions, issues and dependencies (`category` says which).
    raid: list[Risk] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    milestones: list[Milestone] = Field(default_factory=list)
    people: list[str] = Field(default_factory=list)
    analyzer: str = ""


class DocumentAnalysisOut(Analysis):
    """`GET /documents/{id}/analysis`."""

    document_id: uuid.UUID
    analyzed_at: dt.datetime
