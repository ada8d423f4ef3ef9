"""Reading and replacing a document's analysis."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.analysis.errors import NotAnalyzed
from pmdi.analysis.models import DocumentAnalysis
from pmdi.analysis.repository import AnalysisRepository
from pmdi.analysis.schemas import Analysis, DocumentAnalysisOut
from pmdi.auth.principal import OrgContext
from pmdi.core.db import utcnow
from pmdi.documents.models import Document


async def get_analysis(session: AsyncSession, ctx: OrgContext, document: Document) -> DocumentAnalysisOut:
    stored = await AnalysisRepository(session, ctx.organization_id).for_document(document.id)
    if stored is None:
        raise NotAnalyzed()
    return DocumentAnalysisOut(
        document_id=document.id,
        analyzed_at=stored.analyzed_at,
        **Analysis.model_validate(stored.result).model_dump(),
    )


async def replace_analysis(
    session: AsyncSession, document: Document, result: dict[str, Any], cache_key: str | None = None
) -> Analysis:
    """Validates the analyzer's output against the contract and stores it in place of any earlier one."""
    analysis = Analysis.model_validate(result)
    repository = AnalysisRepository(session, document.organization_id)
    stored = await repository.for_document(document.id)
    if stored is None:
        stored = DocumentAnalysis(organization_id=document.organization_id, document_id=document.id)
        session.add(stored)
    stored.analyzer = analysis.analyzer
    stored.document_type = document.document_type = analysis.document_type
    stored.document_date = analysis.document_date
    stored.result = analysis.model_dump(mode="json")
    stored.analyzed_at = utcnow()
    stored.cache_key = cache_key
    await session.flush()
    return analysis
