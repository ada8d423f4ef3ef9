from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from pmdi.auth.deps import authorize
from pmdi.auth.permissions import Permission
from pmdi.auth.principal import OrgContext
from pmdi.core.deps import PageDep, SessionDep, StateDep
from pmdi.documents.router import ReadableDocument
from pmdi.projects.router import ReadableProject
from pmdi.registers import aliases, calendar, diff, publish, service
from pmdi.registers.deps import ReadableItem, WritableAlias, WritableItem
from pmdi.registers.models import Kind, Review
from pmdi.registers.schemas import (
    AliasIn,
    AliasOut,
    ExportFormat,
    FeedCreated,
    FeedIn,
    FeedOut,
    GroupBy,
    GroupCount,
    ItemCreate,
    ItemDetail,
    ItemEdit,
    ItemFilters,
    ItemPage,
    Level,
    MergeIn,
    ReportDiff,
    ReportFormat,
    SplitIn,
    View,
)

router = APIRouter(tags=["registers"])

ReadRegisters = Annotated[OrgContext, Depends(authorize(Permission.PROJECT_READ))]
WriteRegisters = Annotated[OrgContext, Depends(authorize(Permission.PROJECT_WRITE))]


async def item_filters(
    project: uuid.UUID | None = None,
    kind: Kind | None = None,
    status: str | None = Query(None, max_length=20),
    review: Review | None = None,
    owner: str | None = Query(None, min_length=1, max_length=200, description='A name, or "me".'),
    severity: Level | None = None,
    category: str | None = Query(None, max_length=20),
    view: View | None = None,
    changed_since: dt.datetime | None = None,
    today: dt.date | None = Query(None, description="The date overdue and due-this-week count from."),
) -> ItemFilters:
    return ItemFilters(
        project=project,
        kind=kind,
        status=status,
        review=review.value if review else None,
        owner=owner,
        severity=severity,
        category=category,
        view=view,
        changed_since=changed_since,
        today=today,
    )


Filters = Annotated[ItemFilters, Depends(item_filters)]


@router.get("/register-items", response_model=ItemPage)
async def list_items(ctx: ReadRegisters, filters: Filters, page: PageDep, session: SessionDep) -> ItemPage:
    return await service.list_items(session, ctx, filters, page)


@router.get("/register-summary", response_model=list[GroupCount])
async def group_items(
    ctx: ReadRegisters, filters: Filters, session: SessionDep, group_by: GroupBy = GroupBy.STATUS
) -> list[GroupCount]:
    return await service.group_items(session, ctx, filters, group_by)


@router.post("/register-items", response_model=ItemDetail, status_code=status.HTTP_201_CREATED)
async def create_item(data: ItemCreate, ctx: WriteRegisters, session: SessionDep) -> ItemDetail:
    return await service.create_item(session, ctx, data)


@router.get("/register-items/{item_id}", response_model=ItemDetail)
async def get_item(item: ReadableItem, session: SessionDep) -> ItemDetail:
    return await service.detail(session, item.ctx, item.obj)


@router.patch("/register-items/{item_id}", response_model=ItemDetail)
async def edit_item(edit: ItemEdit, item: WritableItem, session: SessionDep) -> ItemDetail:
    return await service.edit_item(session, item.ctx, item.obj, edit)


@router.post("/register-items/{item_id}/accept", response_model=ItemDetail)
async def accept_item(item: WritableItem, session: SessionDep) -> ItemDetail:
    return await service.set_review(session, item.ctx, item.obj, Review.ACCEPTED)


@router.post("/register-items/{item_id}/reject", response_model=ItemDetail)
async def reject_item(item: WritableItem, session: SessionDep) -> ItemDetail:
    return await service.set_review(session, item.ctx, item.obj, Review.REJECTED)


@router.post("/register-items/{item_id}/merge", response_model=ItemDetail)
async def merge_item(data: MergeIn, item: WritableItem, session: SessionDep) -> ItemDetail:
    return await service.merge(session, item.ctx, item.obj, data.into)


@router.post(
    "/register-items/{item_id}/split", response_model=ItemDetail, status_code=status.HTTP_201_CREATED
)
async def split_item(data: SplitIn, item: WritableItem, session: SessionDep) -> ItemDetail:
    return await service.split(session, item.ctx, item.obj, data.mention_ids)


@router.get("/owner-aliases", response_model=list[AliasOut])
async def list_aliases(ctx: ReadRegisters, session: SessionDep) -> list[AliasOut]:
    return await aliases.list_aliases(session, ctx)


@router.post("/owner-aliases", response_model=AliasOut, status_code=status.HTTP_201_CREATED)
async def add_alias(data: AliasIn, ctx: WriteRegisters, session: SessionDep) -> AliasOut:
    return await aliases.add_alias(session, ctx, data)


@router.delete("/owner-aliases/{alias_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_alias(alias: WritableAlias, session: SessionDep) -> Response:
    await aliases.remove_alias(session, alias.ctx, alias.obj)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _download(file: publish.File) -> Response:
    disposition = f'attachment; filename="{file.filename}"'
    return Response(file.content, media_type=file.media_type, headers={"Content-Disposition": disposition})


@router.get("/projects/{project_id}/export", response_class=Response)
async def export_register(
    project: ReadableProject,
    session: SessionDep,
    register: Kind = Kind.ACTION,
    format: ExportFormat = ExportFormat.CSV,
) -> Response:
    return _download(await publish.export_register(session, project.ctx, project.obj, register, format))


@router.get("/projects/{project_id}/report", response_class=Response)
async def project_report(
    project: ReadableProject, session: SessionDep, format: ReportFormat = ReportFormat.MARKDOWN
) -> Response:
    return _download(await publish.project_report(session, project.ctx, project.obj, format))


@router.get("/documents/{document_id}/diff", response_model=ReportDiff)
async def report_diff(
    document: ReadableDocument, session: SessionDep, against: uuid.UUID | None = None
) -> ReportDiff:
    return await diff.report_diff(session, document.ctx.organization_id, document.obj, against)


@router.post("/calendar-feeds", response_model=FeedCreated, status_code=status.HTTP_201_CREATED)
async def create_feed(data: FeedIn, ctx: ReadRegisters, session: SessionDep, state: StateDep) -> FeedCreated:
    return await calendar.create_feed(session, ctx, data, state.settings.base_url)


@router.get("/calendar-feeds", response_model=list[FeedOut])
async def list_feeds(ctx: ReadRegisters, session: SessionDep) -> list[FeedOut]:
    return await calendar.list_feeds(session, ctx)


@router.delete("/calendar-feeds/{feed_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_feed(feed_id: uuid.UUID, ctx: ReadRegisters, session: SessionDep) -> Response:
    await calendar.revoke_feed(session, ctx, feed_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/calendar.ics", response_class=Response)
async def calendar_feed(session: SessionDep, token: str = Query(min_length=20, max_length=100)) -> Response:
    content = await calendar.feed_ics(session, token)
    return Response(
        content, media_type="text/calendar; charset=utf-8", headers={"Cache-Control": "private, max-age=300"}
    )
