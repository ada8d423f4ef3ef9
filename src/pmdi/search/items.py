"""Answers to structured questions: the extracted items that match, each with a link to its evidence."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.analysis.repository import AnalysisRepository
from pmdi.documents.models import Document
from pmdi.projects.repository import ProjectRepository
from pmdi.registers.owners import directory
from pmdi.search.schemas import Answer, AnswerItem, Citation
from pmdi.search.structured import StructuredQuery

_LABELS = {
    "action_items": "action items",
    "risks": "risks",
    "decisions": "decisions",
    "milestones": "milestones",
}


async def answer_items(
    session: AsyncSession,
    organization_id: uuid.UUID,
    question: str,
    query: StructuredQuery,
    project: uuid.UUID | None,
    today: dt.date,
    user_id: uuid.UUID | None = None,
) -> Answer | None:
    """None when the question only looked structured: retrieval answers it."""
    projects = await _projects(session, organization_id, project, query.project)
    if projects is not None and not projects:
        return _answer(question, f"There is no project called {query.project!r}.", [])
    rows = await AnalysisRepository(session, organization_id).with_documents(projects)
    candidates = [
        (item, document, analysis.document_date)
        for analysis, document in rows
        for item in analysis.result.get(query.kind, [])
    ]
    if query.mine:
        owners = await directory(session, organization_id)
        candidates = [
            c for c in candidates if user_id is not None and owners.resolve(c[0].get("owner")) == user_id
        ]
    if query.owner is not None and not query.owner[0].isupper():
        # "tasks for budget review" names no one: unless someone is called that, it is a content question.
        wanted = query.owner.casefold()
        if not any(wanted in (item.get("owner") or "").casefold() for item, _, _ in candidates):
            return None
    matching = [
        _item(query.kind, item, document)
        for item, document, day in candidates
        if _matches(query, item, day, today)
    ]
    return _answer(question, _summary(query, len(matching)), matching)


async def _projects(
    session: AsyncSession, organization_id: uuid.UUID, project: uuid.UUID | None, named: str | None
) -> list[uuid.UUID] | None:
    repository = ProjectRepository(session, organization_id)
    if project is not None:
        return [project]
    if named is None:
        return None
    wanted = named.casefold().strip("\"' ")
    found = await repository.list()
    exact = [p.id for p in found if p.name.casefold() == wanted]
    return exact or [p.id for p in found if wanted in p.name.casefold()]


def _matches(
    query: StructuredQuery, item: dict[str, Any], document_date: dt.date | None, today: dt.date
) -> bool:
    if query.owner is not None and query.owner.casefold() not in (item.get("owner") or "").casefold():
        return False
    if query.status is not None and (item.get("status") or "open") != query.status:
        return False
    if query.severity is not None and item.get("severity") != query.severity:
        return False
    when = _when(query.kind, item, document_date)
    if query.overdue and (when is None or when >= today):
        return False
    if query.since is not None and (when is None or when < query.since):
        return False
    return not (query.until is not None and (when is None or when > query.until))


def _when(kind: str, item: dict[str, Any], document_date: dt.date | None) -> dt.date | None:
    """Action items by due date, milestones by their date, decisions and risks by their document's date."""
    if kind in {"decisions", "risks"}:
        return document_date
    raw = item.get("due_date") if kind == "action_items" else item.get("date")
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _item(kind: str, item: dict[str, Any], document: Document) -> AnswerItem:
    evidence = item.get("evidence") or {}
    citation = Citation(
        document_id=document.id,
        filename=document.filename,
        page=evidence.get("page"),
        quote=evidence.get("quote") or "",
        start=evidence.get("start"),
        end=evidence.get("end"),
    )
    return AnswerItem(
        kind=kind,
        text=item.get("text") or item.get("name") or "",
        owner=item.get("owner"),
        due_date=item.get("due_date"),
        severity=item.get("severity"),
        status=item.get("status"),
        date=item.get("date"),
        citation=citation,
    )


def _summary(query: StructuredQuery, count: int) -> str:
    label = "overdue action items" if query.overdue else _LABELS[query.kind]
    qualifiers = [q for q in (query.status, query.severity and f"{query.severity} severity") if q]
    if query.owner or query.mine:
        qualifiers.append(f"owned by {query.owner or 'you'}")
    if query.project:
        qualifiers.append(f"in project {query.project}")
    if query.since:
        qualifiers.append(f"since {query.since.isoformat()}")
    if query.until:
        qualifiers.append(f"until {query.until.isoformat()}")
    described = f"{label} ({', '.join(qualifiers)})" if qualifiers else label
    return f"{count} {described} found." if count else f"No {described} found in your documents."


def _answer(question: str, text: str, items: list[AnswerItem]) -> Answer:
    citations = [item.citation for item in items]
    return Answer(
        question=question, found=bool(items), answer=text, kind="structured", citations=citations, items=items
    )
