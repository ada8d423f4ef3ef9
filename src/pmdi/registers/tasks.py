"""`pmdi registers rebuild`: the registers recomputed from stored analyses (no analyzer or LLM call), one
document per transaction in document-date order, e.g. after upgrading from a version without registers."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from pmdi.analysis.models import DocumentAnalysis
from pmdi.analysis.schemas import Analysis
from pmdi.core.db import commit
from pmdi.core.state import AppState
from pmdi.documents.models import Document
from pmdi.documents.repository import DocumentContentRepository
from pmdi.registers import observations, tracking


async def rebuild(state: AppState, project_id: uuid.UUID | None = None) -> dict[str, int]:
    """An operator command across organisations: each document is tracked inside its own organisation."""
    stmt = select(Document.id).join(DocumentAnalysis, DocumentAnalysis.document_id == Document.id)
    if project_id is not None:
        stmt = stmt.where(Document.project_id == project_id)
    stmt = stmt.order_by(
        DocumentAnalysis.document_date.is_(None), DocumentAnalysis.document_date, Document.created_at
    )
    async with state.sessionmaker() as session:
        document_ids = list((await session.execute(stmt)).scalars())
    totals = {"documents": 0, "register_mentions": 0, "register_items_created": 0}
    for document_id in document_ids:
        tracked = await _track_stored(state, document_id)
        totals["documents"] += 1
        for key in ("register_mentions", "register_items_created"):
            totals[key] += tracked.get(key, 0)
    return totals


async def _track_stored(state: AppState, document_id: uuid.UUID) -> dict[str, int]:
    async with state.sessionmaker() as session:
        row = (
            await session.execute(
                select(Document, DocumentAnalysis)
                .join(DocumentAnalysis, DocumentAnalysis.document_id == Document.id)
                .where(Document.id == document_id)
            )
        ).one_or_none()
        if row is None:  # deleted meanwhile
            return {}
        document, stored = row
        analysis = Analysis.model_validate(stored.result)
        content = await DocumentContentRepository(session, document.organization_id).for_document(document.id)
        if content is None:
            return {}
        extraction = {"text": content.text, "pages": content.pages, "blocks": content.blocks}
        found = await observations.prepare(state, analysis, extraction)
        mentioned_on = analysis.document_date or document.created_at.date()
        tracked = await tracking.track(session, document, found, mentioned_on)
        await commit(session)
        return tracked
