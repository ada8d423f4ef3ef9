"""Registers pages: the organisation's actions, risks, decisions and milestones with inline editing,
the review queue (accept, reject, merge a suggested duplicate) and CSV/XLSX export."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pmdi.auth.permissions import Permission
from pmdi.core.deps import Page, SessionDep
from pmdi.core.errors import BadRequest, NotFound
from pmdi.projects.repository import ProjectRepository
from pmdi.registers import publish
from pmdi.registers import service as registers_service
from pmdi.registers.fold import FIELDS
from pmdi.registers.models import STATUSES, Kind, RegisterItem, Review
from pmdi.registers.repository import ItemRepository
from pmdi.registers.schemas import ExportFormat, ItemDetail, ItemEdit, ItemFilters
from pmdi.web.deps import EditorDep, Viewer, ViewerDep, render
from pmdi.web.forms import parse_form

router = APIRouter()
PAGE_SIZE = 100
_LEVELS = ("high", "medium", "low")


@router.get("/registers", response_class=HTMLResponse)
async def registers_page(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    project: uuid.UUID | None = None,
    kind: Kind = Kind.ACTION,
    status_is: Annotated[str | None, Query(alias="status", max_length=20)] = None,
    review: Review | None = None,
    owner: Annotated[str | None, Query(max_length=200)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """One kind at a time; `review=suggested` is the review queue."""
    chosen = None
    if project is not None:
        chosen = await ProjectRepository(session, viewer.ctx.organization_id).get_or_raise(project)
    filters = ItemFilters(
        project=project,
        kind=kind,
        status=status_is or None,
        review=review.value if review else None,
        owner=owner or None,
    )
    found = await registers_service.list_items(session, viewer.ctx, filters, Page(PAGE_SIZE, offset))
    queue = ItemFilters(project=project, kind=kind, review=Review.SUGGESTED.value)
    waiting = await registers_service.list_items(session, viewer.ctx, queue, Page(1, 0))
    return render(
        request,
        "registers.html",
        viewer,
        project=chosen,
        kind=kind,
        kinds=list(Kind),
        filters=filters,
        items=found,
        waiting=waiting.total,
        statuses=STATUSES[kind],
        columns=FIELDS[kind],
        can_write=viewer.ctx.can(Permission.PROJECT_WRITE),
    )


async def _item(session: SessionDep, viewer: Viewer, item_id: uuid.UUID) -> RegisterItem:
    return await ItemRepository(session, viewer.ctx.organization_id).get_or_raise(item_id)


def _row(request: Request, viewer: Viewer, item: ItemDetail, editing: bool = False) -> Response:
    kind = Kind(item.kind)
    return render(
        request,
        "partials/item_edit.html" if editing else "partials/item_row.html",
        viewer,
        item=item,
        columns=FIELDS[kind],
        statuses=STATUSES[kind],
        levels=_LEVELS,
        can_write=viewer.ctx.can(Permission.PROJECT_WRITE),
    )


@router.get("/registers/items/{item_id}", response_class=HTMLResponse)
async def item_row(request: Request, item_id: uuid.UUID, viewer: ViewerDep, session: SessionDep) -> Response:
    item = await _item(session, viewer, item_id)
    return _row(request, viewer, await registers_service.detail(session, viewer.ctx, item))


@router.get("/registers/items/{item_id}/edit", response_class=HTMLResponse)
async def edit_form(request: Request, item_id: uuid.UUID, viewer: ViewerDep, session: SessionDep) -> Response:
    viewer.require(Permission.PROJECT_WRITE)
    item = await _item(session, viewer, item_id)
    return _row(request, viewer, await registers_service.detail(session, viewer.ctx, item), editing=True)


def _edit_from(form: dict[str, Any], kind: Kind) -> ItemEdit:
    """Fields the form shows are all sent: a blank owner or due date clears it."""
    allowed = {"text", "status", *FIELDS[kind]}
    given = {
        key: (value.strip() or None)
        for key, value in form.items()
        if key in allowed and isinstance(value, str)
    }
    return parse_form(ItemEdit, given) if given else ItemEdit()


@router.post("/registers/items/{item_id}", response_class=HTMLResponse)
async def save_item(request: Request, item_id: uuid.UUID, viewer: EditorDep, session: SessionDep) -> Response:
    ctx = viewer.require(Permission.PROJECT_WRITE)
    item = await _item(session, viewer, item_id)
    form = dict((await request.form()).items())
    edit = _edit_from({k: v for k, v in form.items() if isinstance(v, str)}, Kind(item.kind))
    return _row(request, viewer, await registers_service.edit_item(session, ctx, item, edit))


@router.post("/registers/items/{item_id}/{action}", response_class=HTMLResponse)
async def review_item(
    request: Request, item_id: uuid.UUID, action: str, viewer: EditorDep, session: SessionDep
) -> Response:
    """accept, reject, or merge a suggested duplicate into the item it resembles."""
    ctx = viewer.require(Permission.PROJECT_WRITE)
    item = await _item(session, viewer, item_id)
    if action == "accept":
        result = await registers_service.set_review(session, ctx, item, Review.ACCEPTED)
    elif action == "reject":
        result = await registers_service.set_review(session, ctx, item, Review.REJECTED)
    elif action == "merge" and item.duplicate_of_id is not None:
        # The row stays in place, now showing the item as merged (the API answers with the target).
        await registers_service.merge(session, ctx, item, item.duplicate_of_id)
        result = await registers_service.detail(session, ctx, item)
    else:
        raise BadRequest(f"'{action}' is not something this item can do.")
    return _row(request, viewer, result)


@router.get("/projects/{project_id}/export", response_class=Response)
async def export(
    project_id: uuid.UUID,
    viewer: ViewerDep,
    session: SessionDep,
    register: Kind = Kind.ACTION,
    format: ExportFormat = ExportFormat.CSV,
) -> Response:
    project = await ProjectRepository(session, viewer.ctx.organization_id).get_or_raise(project_id)
    file = await publish.export_register(session, viewer.ctx, project, register, format)
    disposition = f'attachment; filename="{file.filename}"'
    return Response(file.content, media_type=file.media_type, headers={"Content-Disposition": disposition})


@router.get("/registers/items/{item_id}/source", response_class=HTMLResponse)
async def item_source(item_id: uuid.UUID, viewer: ViewerDep, session: SessionDep) -> Response:
    """The latest document mentioning the item, opened at the quote."""
    detail = await registers_service.detail(session, viewer.ctx, await _item(session, viewer, item_id))
    if not detail.mentions:
        raise NotFound("This item was added by hand; no document mentions it.")
    mention = max(detail.mentions, key=lambda m: m.mentioned_on)
    at = (
        f"?at={mention.start}-{mention.end}#focus"
        if mention.start is not None
        else f"#page-{mention.page or 1}"
    )
    return RedirectResponse(f"/documents/{mention.document_id}{at}", status_code=status.HTTP_303_SEE_OTHER)
