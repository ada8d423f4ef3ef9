"""Two versions of a report compared through the registers: an item in both is the same tracked item, so a
reworded risk is not "new", and closed, dropped, re-rated and slipped items fall out of the mentions."""

from __future__ import annotations

import uuid
from typing import Any

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.documents.models import Document
from pmdi.documents.repository import DocumentContentRepository, DocumentRepository
from pmdi.registers.errors import NoEarlierReport
from pmdi.registers.fold import INITIAL, status_of
from pmdi.registers.models import CLOSED_STATUSES, Kind, RegisterItem
from pmdi.registers.repository import ItemRepository, MentionRepository
from pmdi.registers.schemas import DiffItem, RagChange, ReportDiff
from pmdi.registers.signals import rag_statuses


async def report_diff(
    session: AsyncSession, organization_id: uuid.UUID, document: Document, against_id: uuid.UUID | None
) -> ReportDiff:
    documents = DocumentRepository(session, organization_id)
    older = await documents.get_or_raise(against_id) if against_id else await _previous(documents, document)
    before = await _said(session, organization_id, older.id)
    after = await _said(session, organization_id, document.id)
    items = {i.id: i for i in await ItemRepository(session, organization_id).by_ids(set(before) | set(after))}
    diff = ReportDiff(
        document_id=document.id,
        against_id=older.id,
        new_risks=[],
        closed_risks=[],
        dropped_risks=[],
        severity_changes=[],
        new_actions=[],
        closed_actions=[],
        slipped=[],
        rag_changes=await _rag_changes(session, organization_id, older.id, document.id),
    )
    for item_id, item in items.items():
        _compare(diff, item, before.get(item_id), after.get(item_id))
    return diff


async def _previous(documents: DocumentRepository, document: Document) -> Document:
    """The latest earlier document of the same type in the same project."""
    stmt = (
        documents.select()
        .where(
            Document.project_id == document.project_id,
            Document.document_type == document.document_type,
            Document.created_at < document.created_at,
        )
        .order_by(Document.created_at.desc())
        .limit(1)
    )
    found = (await documents.session.execute(stmt)).scalar_one_or_none()
    if found is None:
        raise NoEarlierReport()
    return found


async def _said(
    session: AsyncSession, organization_id: uuid.UUID, document_id: uuid.UUID
) -> dict[uuid.UUID, dict[str, Any]]:
    """What one document says about each item it mentions (later lines of the document win)."""
    said: dict[uuid.UUID, dict[str, Any]] = {}
    for mention in await MentionRepository(session, organization_id).for_document(document_id):
        known = said.setdefault(mention.item_id, {})
        known.update({k: v for k, v in mention.data.items() if v not in (None, "")})
    return said


def _closed(kind: Kind, data: dict[str, Any] | None) -> bool:
    status = status_of(kind, (data or {}).get("status"))
    return status is not None and status != INITIAL[kind] and status in CLOSED_STATUSES


def _entry(item: RegisterItem, before: Any = None, after: Any = None) -> DiffItem:
    return DiffItem(id=item.id, kind=item.kind, text=item.text, before=before, after=after)


_NEW = {Kind.RISK: "new_risks", Kind.ACTION: "new_actions"}
_CLOSED = {Kind.RISK: "closed_risks", Kind.ACTION: "closed_actions"}


def _compare(
    diff: ReportDiff, item: RegisterItem, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> None:
    kind = Kind(item.kind)
    if after is None:
        still_open = not _closed(kind, before) and item.status not in CLOSED_STATUSES
        if kind is Kind.RISK and before is not None and still_open:
            diff.dropped_risks.append(_entry(item))
    elif _closed(kind, after) and not _closed(kind, before):
        _add(diff, _CLOSED.get(kind), _entry(item, after=after.get("status")))
    elif before is None:
        _add(diff, _NEW.get(kind), _entry(item))
    else:
        _changed(diff, kind, item, before, after)


def _add(diff: ReportDiff, field: str | None, entry: DiffItem) -> None:
    if field is not None:
        getattr(diff, field).append(entry)


def _changed(
    diff: ReportDiff, kind: Kind, item: RegisterItem, before: dict[str, Any], after: dict[str, Any]
) -> None:
    old_severity, new_severity = before.get("severity"), after.get("severity")
    if kind is Kind.RISK and old_severity and new_severity and old_severity != new_severity:
        diff.severity_changes.append(_entry(item, old_severity, new_severity))
    old, new = before.get("due_date"), after.get("due_date")
    if old and new and new > old:
        diff.slipped.append(_entry(item, old, new))


async def _rag_changes(
    session: AsyncSession, organization_id: uuid.UUID, before_id: uuid.UUID, after_id: uuid.UUID
) -> list[RagChange]:
    contents = DocumentContentRepository(session, organization_id)
    texts = []
    for document_id in (before_id, after_id):
        stored = await contents.for_document(document_id)
        texts.append(stored.text if stored is not None else "")
    before = await anyio.to_thread.run_sync(rag_statuses, texts[0])
    after = await anyio.to_thread.run_sync(rag_statuses, texts[1])
    labels = list(dict.fromkeys([*before, *after]))
    return [
        RagChange(label=k, before=before.get(k), after=after.get(k))
        for k in labels
        if before.get(k) != after.get(k)
    ]
