"""Search with highlighted snippets and filters, and questions answered with clickable citations."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from pmdi.auth.permissions import Permission
from pmdi.auth.secrets import parse_uuid
from pmdi.core.deps import Page, SessionDep, StateDep
from pmdi.core.errors import BadRequest
from pmdi.projects import service as projects_service
from pmdi.search import answers
from pmdi.search import service as search_service
from pmdi.search.schemas import AskIn, SearchFilters
from pmdi.web.deps import EditorDep, Viewer, ViewerDep, render
from pmdi.web.forms import parse_form
from pmdi.web.highlight import marked_runs

router = APIRouter()
Optional = Annotated[str, Query(max_length=200)]


def _date(raw: str, name: str) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise BadRequest(f"{name} must be a date like 2026-10-31.") from exc


async def _projects(session: SessionDep, viewer: Viewer) -> list[Any]:
    return list((await projects_service.list_projects(session, viewer.ctx, Page(200, 0))).items)


@router.get("/search", response_class=HTMLResponse)
async def search_page(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    state: StateDep,
    q: Annotated[str, Query(max_length=500)] = "",
    project: Optional = "",
    type: Optional = "",
    from_: Annotated[str, Query(alias="from", max_length=10)] = "",
    to: Annotated[str, Query(max_length=10)] = "",
    owner: Optional = "",
) -> Response:
    ctx = viewer.require(Permission.DOCUMENT_READ)
    filters = SearchFilters(
        project=parse_uuid(project) if project else None,
        type=type or None,
        date_from=_date(from_, "From"),
        date_to=_date(to, "To"),
        owner=owner or None,
    )
    result = None
    if q.strip():
        result = await search_service.search(session, state, ctx.organization_id, q.strip(), filters, 20)
    hits = [
        (hit, marked_runs(hit.snippet, [(h.start, h.end) for h in hit.highlights]))
        for hit in (result.hits if result else [])
    ]
    context = {"q": q, "filters": filters, "result": result, "hits": hits, "raw": {"from": from_, "to": to}}
    return render(request, "search.html", viewer, projects=await _projects(session, viewer), **context)


@router.get("/ask", response_class=HTMLResponse)
async def ask_page(request: Request, viewer: ViewerDep, session: SessionDep) -> Response:
    return render(
        request, "ask.html", viewer, projects=await _projects(session, viewer), answer=None, question=""
    )


@router.post("/ask", response_class=HTMLResponse)
async def ask(
    request: Request,
    viewer: EditorDep,
    session: SessionDep,
    state: StateDep,
    question: Annotated[str, Form(max_length=1000)] = "",
    project: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """A form post (it may spend language-model budget) answered as a page; htmx swaps in the answer."""
    ctx = viewer.require(Permission.DOCUMENT_READ)
    body = parse_form(AskIn, {"question": question.strip(), "project": project})
    answer = await answers.ask(session, state, ctx.organization_id, body, ctx.user_id)
    chosen: uuid.UUID | None = body.project
    return render(
        request,
        "ask.html",
        viewer,
        projects=await _projects(session, viewer),
        answer=answer,
        question=question,
        chosen=chosen,
    )
