"""Documents pages: a project's documents with live status and the upload area, and one document's view
(its text by page, each extracted item linked to the highlighted quote it came from)."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pmdi.analysis import service as analysis_service
from pmdi.analysis.errors import NotAnalyzed
from pmdi.analysis.schemas import DocumentAnalysisOut
from pmdi.auth.permissions import Permission
from pmdi.core.deps import Page, SessionDep, StateDep
from pmdi.documents import service as documents_service
from pmdi.documents.errors import NotExtracted
from pmdi.documents.models import Document, DocumentStatus
from pmdi.documents.repository import DocumentRepository
from pmdi.documents.schemas import DocumentFilters, DocumentText
from pmdi.events.service import latest_event_id
from pmdi.jobs import service as jobs_service
from pmdi.projects.repository import ProjectRepository
from pmdi.web.deps import EditorDep, ViewerDep, render
from pmdi.web.highlight import Highlighted, Span, highlight

router = APIRouter()
PAGE_SIZE = 50
TABS = ("summary", "actions", "risks", "decisions", "milestones", "people")
# The analysis list behind each tab that has items with evidence.
_SECTIONS = {
    "actions": "action_items",
    "risks": "risks",
    "decisions": "decisions",
    "milestones": "milestones",
}
_RANGE = re.compile(r"^(\d{1,9})-(\d{1,9})$")


@router.get("/projects/{project_id}/documents", response_class=HTMLResponse)
async def project_documents(
    request: Request,
    project_id: uuid.UUID,
    viewer: ViewerDep,
    session: SessionDep,
    status_filter: Annotated[DocumentStatus | None, Query(alias="status")] = None,
    type_filter: Annotated[str | None, Query(alias="type", max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """Newest first, 50 a page; status cells update live from the organisation's event stream."""
    project = await ProjectRepository(session, viewer.ctx.organization_id).get_or_raise(project_id)
    filters = DocumentFilters(
        project_id=project.id, status=status_filter, type=type_filter or None, q=q or None
    )
    found = await documents_service.list_documents(session, viewer.ctx, filters, Page(PAGE_SIZE, offset))
    return render(
        request,
        "documents.html",
        viewer,
        project=project,
        documents=found,
        filters=filters,
        statuses=list(DocumentStatus),
        can_upload=viewer.ctx.can(Permission.DOCUMENT_WRITE),
        last_event=await latest_event_id(session, viewer.ctx.organization_id),
    )


async def _content(session: SessionDep, viewer: ViewerDep, document: Document) -> DocumentText | None:
    try:
        return await documents_service.extracted_text(session, viewer.ctx, document)
    except NotExtracted:
        return None


async def _analysis(session: SessionDep, viewer: ViewerDep, document: Document) -> DocumentAnalysisOut | None:
    try:
        return await analysis_service.get_analysis(session, viewer.ctx, document)
    except NotAnalyzed:
        return None


def _spans(analysis: DocumentAnalysisOut | None, at: str | None) -> list[Span]:
    spans = []
    if analysis is not None:
        for tab, section in _SECTIONS.items():
            for index, item in enumerate(getattr(analysis, section)):
                if item.evidence is not None:
                    spans.append(Span(f"ev-{tab}-{index}", item.evidence.start, item.evidence.end))
    match = _RANGE.match(at or "")
    if match:
        spans.insert(0, Span("focus", int(match[1]), int(match[2])))
    return spans


def _view(content: DocumentText | None, analysis: DocumentAnalysisOut | None, at: str | None) -> Highlighted:
    if content is None:
        return Highlighted([], {})
    return highlight(content.text, content.pages, _spans(analysis, at))


@router.get("/documents/{document_id}", response_class=HTMLResponse)
async def document_view(
    request: Request,
    document_id: uuid.UUID,
    viewer: ViewerDep,
    session: SessionDep,
    tab: Annotated[str, Query(max_length=20)] = "actions",
    at: Annotated[str | None, Query(max_length=20, description="START-END of a quote to mark")] = None,
) -> Response:
    document = await DocumentRepository(session, viewer.ctx.organization_id).get_or_raise(document_id)
    analysis = await _analysis(session, viewer, document)
    content = await _content(session, viewer, document)
    context: dict[str, Any] = {
        "document": document,
        "project": await ProjectRepository(session, viewer.ctx.organization_id).get_or_raise(
            document.project_id
        ),
        "analysis": analysis,
        "extracted": content is not None,
        "view": _view(content, analysis, at),
        "tab": tab if tab in TABS else "actions",
        "tabs": TABS,
        "can_write": viewer.ctx.can(Permission.DOCUMENT_WRITE),
        "last_event": await latest_event_id(session, viewer.ctx.organization_id),
    }
    return render(request, "document.html", viewer, **context)


@router.post("/documents/{document_id}/reprocess", response_class=HTMLResponse)
async def reprocess(
    document_id: uuid.UUID, viewer: EditorDep, session: SessionDep, state: StateDep
) -> Response:
    ctx = viewer.require(Permission.DOCUMENT_WRITE)
    document = await DocumentRepository(session, ctx.organization_id).get_or_raise(document_id)
    await jobs_service.reprocess_document(session, state.events, state.dispatcher, ctx, document)
    return RedirectResponse(f"/documents/{document.id}", status_code=status.HTTP_303_SEE_OTHER)
