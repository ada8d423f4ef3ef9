from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from pmdi.auth.deps import authorize
from pmdi.auth.permissions import Permission
from pmdi.auth.principal import OrgContext
from pmdi.core.deps import SessionDep, StateDep
from pmdi.documents.router import ReadableDocument
from pmdi.search import answers, service
from pmdi.search.schemas import Answer, AskIn, SearchFilters, SearchResult, SimilarDocument

router = APIRouter(tags=["search"])

ReadDocuments = Annotated[OrgContext, Depends(authorize(Permission.DOCUMENT_READ))]


async def search_filters(
    project: uuid.UUID | None = None,
    type: str | None = Query(None, max_length=40),
    from_: date | None = Query(None, alias="from"),
    to: date | None = None,
    owner: str | None = Query(None, min_length=1, max_length=200),
) -> SearchFilters:
    return SearchFilters(project=project, type=type, date_from=from_, date_to=to, owner=owner)


@router.get("/search", response_model=SearchResult)
async def search(
    ctx: ReadDocuments,
    session: SessionDep,
    state: StateDep,
    filters: Annotated[SearchFilters, Depends(search_filters)],
    q: str = Query(min_length=1, max_length=500),
    limit: int = Query(20, ge=1, le=100),
) -> SearchResult:
    return await service.search(session, state, ctx.organization_id, q, filters, limit)


@router.post("/ask", response_model=Answer)
async def ask(body: AskIn, ctx: ReadDocuments, session: SessionDep, state: StateDep) -> Answer:
    return await answers.ask(session, state, ctx.organization_id, body, ctx.user_id)


@router.get("/documents/{document_id}/similar", response_model=list[SimilarDocument])
async def similar_documents(
    document: ReadableDocument, session: SessionDep, state: StateDep, limit: int = Query(5, ge=1, le=50)
) -> list[SimilarDocument]:
    return await service.similar_documents(session, state, document.ctx.organization_id, document.obj, limit)
