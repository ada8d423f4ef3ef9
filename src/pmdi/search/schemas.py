from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field


class SearchFilters(BaseModel):
    project: uuid.UUID | None = None
    type: str | None = None
    date_from: date | None = None  # the document's own date, from its analysis
    date_to: date | None = None
    owner: str | None = None  # someone owning an action item or risk in the document

    def any(self) -> bool:
        return any(value is not None for value in self.model_dump().values())


class Highlight(BaseModel):
    start: int
    end: int


class SearchHit(BaseModel):
    chunk_id: int
    document_id: uuid.UUID
    project_id: uuid.UUID
    filename: str
    document_type: str | None
    page: int
    context: str = Field(description="Heading path or table header the chunk sits under")
    snippet: str = Field(description="Plain text; render it escaped and mark the `highlights` spans")
    highlights: list[Highlight]
    start: int = Field(description="Offset of the chunk in the document's canonical text")
    end: int
    score: float = Field(
        description="Reciprocal-rank fusion of the keyword and vector rankings; higher is better"
    )


class DocumentGroup(BaseModel):
    document_id: uuid.UUID
    filename: str
    document_type: str | None
    score: float = Field(
        description="Reciprocal-rank fusion of the keyword and vector rankings; higher is better"
    )
    pages: list[int]
    hits: int


class SearchResult(BaseModel):
    query: str
    mode: str = Field(description="hybrid, or keyword when embeddings are switched off")
    hits: list[SearchHit]
    documents: list[DocumentGroup]


class AskIn(BaseModel):
    question: str = Field(min_length=1, max_length=1000)
    project: uuid.UUID | None = None


class Citation(BaseModel):
    document_id: uuid.UUID
    filename: str
    page: int | None
    quote: str
    start: int | None = None
    end: int | None = None
    score: float | None = Field(
        None, description="Relevance of the quote to the question (extractive answers)"
    )


class AnswerItem(BaseModel):
    """An extracted item (action, risk, decision, milestone) matching a structured question."""

    kind: str
    text: str
    owner: str | None = None
    due_date: str | None = None
    severity: str | None = None
    status: str | None = None
    date: str | None = None
    citation: Citation


class Answer(BaseModel):
    question: str
    found: bool
    answer: str
    kind: str = Field(description="extractive, generative or structured")
    citations: list[Citation]
    items: list[AnswerItem] = Field(default_factory=list)
    note: str | None = Field(None, description="Why a configured language model did not write this answer")


class SimilarDocument(BaseModel):
    document_id: uuid.UUID
    filename: str
    document_type: str | None
    score: float = Field(
        description="Reciprocal-rank fusion of the keyword and vector rankings; higher is better"
    )
