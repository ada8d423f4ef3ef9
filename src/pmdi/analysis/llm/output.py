"""What the model is asked to return for one part of a document, validated before anything is used.
Every item carries the quote it was read from; pmdi, not the model, turns quotes into page and offsets."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field

from pmdi.analysis.schemas import Level


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and value.strip().lower() in {"", "null", "none", "n/a"} else value


MaybeDate = Annotated[dt.date | None, BeforeValidator(_blank_is_none)]
MaybeLevel = Annotated[
    Level | None, BeforeValidator(lambda v: _blank_is_none(v.lower() if isinstance(v, str) else v))
]
MaybeText = Annotated[str | None, BeforeValidator(_blank_is_none)]


class Quoted(BaseModel):
    quote: str = Field(min_length=1, description="Verbatim text copied from the document.")


class LLMAction(Quoted):
    text: str = Field(min_length=1, description="Short imperative task.")
    owner: MaybeText = None
    due_date: MaybeDate = None
    priority: MaybeLevel = None
    status: Literal["open", "done"] = "open"


class LLMRisk(Quoted):
    text: str = Field(min_length=1)
    severity: MaybeLevel = None
    likelihood: MaybeLevel = None
    owner: MaybeText = None
    mitigation: MaybeText = None


class LLMDecision(Quoted):
    text: str = Field(min_length=1)


class LLMMilestone(Quoted):
    name: str = Field(min_length=1)
    date: MaybeDate = None


class PartAnalysis(BaseModel):
    summary_points: list[str] = Field(default_factory=list)
    action_items: list[LLMAction] = Field(default_factory=list)
    risks: list[LLMRisk] = Field(default_factory=list)
    decisions: list[LLMDecision] = Field(default_factory=list)
    milestones: list[LLMMilestone] = Field(default_factory=list)
    people: list[str] = Field(default_factory=list)


SCHEMA: dict[str, Any] = PartAnalysis.model_json_schema()
