from __future__ import annotations

from fastapi import APIRouter

from pmdi.analysis import service
from pmdi.analysis.schemas import DocumentAnalysisOut
from pmdi.core.deps import SessionDep
from pmdi.documents.router import ReadableDocument

router = APIRouter(tags=["analysis"])


@router.get("/documents/{document_id}/analysis", response_model=DocumentAnalysisOut)
async def get_document_analysis(document: ReadableDocument, session: SessionDep) -> DocumentAnalysisOut:
    return await service.get_analysis(session, document.ctx, document.obj)
