"""What people do with registers: list and view, review (accept, reject, merge, split), edit and create.

Every change is audited; edited fields are locked against documents (see `refold.apply`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.audit.service import record_in_org
from pmdi.auth.principal import OrgContext
from pmdi.core.deps import Page
from pmdi.projects.repository import ProjectRepository
from pmdi.registers import views
from pmdi.registers.announce import Changes, announce_items
from pmdi.registers.errors import InvalidChange, NotAMember
from pmdi.registers.fold import FIELDS, INITIAL
from pmdi.registers.models import STATUSES, Change, Kind, RegisterItem, Review
from pmdi.registers.owners import directory
from pmdi.registers.refold import refold
from pmdi.registers.repository import ChangeRepository, ItemRepository, MentionRepository
from pmdi.registers.schemas import (
    ChangeOut,
    GroupBy,
    GroupCount,
    ItemCreate,
    ItemDetail,
    ItemEdit,
    ItemFilters,
    ItemOut,
    ItemPage,
    MentionOut,
)

_ALWAYS = frozenset({"text", "status"})
_EXTRA = {Kind.RISK: frozenset({"category"})}


async def _query(
    session: AsyncSession, ctx: OrgContext, filters: ItemFilters
) -> tuple[ItemRepository, Select[RegisterItem]]:
    repo = ItemRepository(session, ctx.organization_id)
    owners = await directory(session, ctx.organization_id) if filters.owner else None
    return repo, views.filtered(repo, filters, ctx.user_id, owners)


async def list_items(session: AsyncSession, ctx: OrgContext, filters: ItemFilters, page: Page) -> ItemPage:
    repo, stmt = await _query(session, ctx, filters)
    items, total = await repo.page(views.ordered(stmt), page.limit, page.offset)
    counts = await MentionRepository(session, ctx.organization_id).counts([i.id for i in items])
    out = [ItemOut.model_validate(i).model_copy(update={"mention_count": counts.get(i.id, 0)}) for i in items]
    return ItemPage(items=out, total=total, limit=page.limit, offset=page.offset)


async def group_items(
    session: AsyncSession, ctx: OrgContext, filters: ItemFilters, group_by: GroupBy
) -> list[GroupCount]:
    repo, stmt = await _query(session, ctx, filters)
    return [GroupCount(key=k, count=n) for k, n in await repo.counts_by(stmt, group_by.value)]


async def detail(session: AsyncSession, ctx: OrgContext, item: RegisterItem) -> ItemDetail:
    rows = await MentionRepository(session, ctx.organization_id).for_items([item.id])
    mentions = [
        MentionOut.model_validate(m).model_copy(update={"filename": filename}) for m, _, filename in rows
    ]
    history = await ChangeRepository(session, ctx.organization_id).for_item(item.id)
    return ItemDetail(
        **ItemOut.model_validate(item).model_dump(exclude={"mention_count"}),
        mention_count=len(mentions),
        mentions=mentions,
        history=[ChangeOut.model_validate(c) for c in history],
    )


def _editable(kind: Kind) -> frozenset[str]:
    return _ALWAYS | frozenset(FIELDS[kind]) | _EXTRA.get(kind, frozenset())


async def _validated(session: AsyncSession, ctx: OrgContext, kind: Kind, edit: ItemEdit) -> dict[str, Any]:
    given = edit.model_dump(include=edit.model_fields_set)
    if given.get("owner_user_id") is not None or given.get("owner"):
        owners = await directory(session, ctx.organization_id)
        member = given.get("owner_user_id")
        if member is not None and member not in owners.members:
            raise NotAMember()
        if member is not None:
            given["owner"] = given.get("owner") or owners.members[member]
        elif "owner_user_id" not in given:
            given["owner_user_id"] = owners.resolve(given["owner"])
    elif "owner" in given and "owner_user_id" not in given:
        given["owner_user_id"] = None  # the owner was cleared
    not_here = set(given) - _editable(kind) - {"owner", "owner_user_id"}
    if not_here or ("owner" in given and "owner" not in FIELDS[kind]):
        names = ", ".join(sorted(not_here or {"owner"}))
        raise InvalidChange(f"A {kind.value} has no field {names}.")
    if "status" in given and given["status"] not in STATUSES[kind]:
        allowed = ", ".join(STATUSES[kind])
        raise InvalidChange(f"A {kind.value}'s status is one of: {allowed}.")
    if "text" in given and given["text"] is None:
        raise InvalidChange("An item needs its text.")
    return given


async def edit_item(session: AsyncSession, ctx: OrgContext, item: RegisterItem, edit: ItemEdit) -> ItemDetail:
    given = await _validated(session, ctx, Kind(item.kind), edit)
    changed = _set_fields(session, ctx, item, given)
    item.user_touched = True
    await session.flush()
    if changed:
        await record_in_org(session, ctx, "register_item.updated", ("register_item", item.id), changed)
        await announce_items(session, ctx.organization_id, updated={item: changed}, source="user")
    return await detail(session, ctx, item)


def _set_fields(
    session: AsyncSession, ctx: OrgContext, item: RegisterItem, given: dict[str, Any]
) -> dict[str, Any]:
    changed: dict[str, Any] = {}
    today = dt.date.today()
    for name, value in given.items():
        old = getattr(item, name)
        if old == value:
            continue
        setattr(item, name, value)
        changed[name] = [_text(old), _text(value)]
        if name != "owner_user_id":
            item.edited_fields = sorted({*(item.edited_fields or ()), name})
            session.add(
                Change(
                    organization_id=item.organization_id,
                    item_id=item.id,
                    field=name,
                    old=_text(old),
                    new=_text(value),
                    source="user",
                    actor_user_id=ctx.user_id,
                    changed_on=today,
                )
            )
    return changed


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


async def create_item(session: AsyncSession, ctx: OrgContext, data: ItemCreate) -> ItemDetail:
    await ProjectRepository(session, ctx.organization_id).get_or_raise(data.project_id)
    kind = data.kind
    fields = data.model_dump(exclude={"project_id", "kind"}, exclude_unset=True)
    given = await _validated(session, ctx, kind, ItemEdit(**fields))
    item = RegisterItem(
        project_id=data.project_id,
        kind=kind.value,
        category=given.pop("category", None) or kind.value,
        text=data.text,
        status=given.pop("status", None) or INITIAL[kind],
        review=Review.ACCEPTED,
        source="manual",
        user_touched=True,
        edited_fields=sorted(set(data.model_fields_set) - {"project_id", "kind"}),
        **{k: v for k, v in given.items() if k != "text"},
    )
    await ItemRepository(session, ctx.organization_id).add(item)
    await record_in_org(
        session, ctx, "register_item.created", ("register_item", item.id), {"kind": kind.value}
    )
    await announce_items(session, ctx.organization_id, created=[item], source="user")
    return await detail(session, ctx, item)


async def set_review(
    session: AsyncSession, ctx: OrgContext, item: RegisterItem, review: Review
) -> ItemDetail:
    if item.review == Review.MERGED:
        raise InvalidChange("This item was merged into another; review that one.")
    changes: Changes = {"review": [item.review, review.value]} if item.review != review else {}
    item.review, item.user_touched = review, True
    if review == Review.ACCEPTED:
        item.duplicate_of_id = None  # kept as its own item
    await session.flush()
    await record_in_org(session, ctx, f"register_item.{review.value}", ("register_item", item.id))
    if changes:
        await announce_items(session, ctx.organization_id, updated={item: changes}, source="user")
    return await detail(session, ctx, item)


async def merge(session: AsyncSession, ctx: OrgContext, item: RegisterItem, into_id: uuid.UUID) -> ItemDetail:
    repo = ItemRepository(session, ctx.organization_id)
    target = await repo.get_or_raise(into_id)
    if target.id == item.id or target.project_id != item.project_id or target.kind != item.kind:
        raise InvalidChange("Only two different items of the same kind in the same project can be merged.")
    if Review.MERGED in (item.review, target.review):
        raise InvalidChange("This item was already merged into another.")
    mentions = MentionRepository(session, ctx.organization_id)
    moved = [m.id for m, _, _ in await mentions.for_items([item.id])]
    await mentions.move(moved, target.id)
    item.review, item.merged_into_id, item.user_touched = Review.MERGED, target.id, True
    target.user_touched = True
    if target.duplicate_of_id == item.id:
        target.duplicate_of_id = None
    await session.flush()
    await refold(session, ctx.organization_id, {target.id}, await directory(session, ctx.organization_id))
    data = {"into": str(target.id), "mentions": len(moved)}
    await record_in_org(session, ctx, "register_item.merged", ("register_item", item.id), data)
    return await detail(session, ctx, target)


async def split(
    session: AsyncSession, ctx: OrgContext, item: RegisterItem, mention_ids: list[uuid.UUID]
) -> ItemDetail:
    mentions = MentionRepository(session, ctx.organization_id)
    own = {m.id for m, _, _ in await mentions.for_items([item.id])}
    chosen = set(mention_ids)
    if not chosen <= own or chosen == own:
        raise InvalidChange("Split off some, not all, of this item's own mentions.")
    new = RegisterItem(
        project_id=item.project_id,
        kind=item.kind,
        category=item.category,
        text=item.text,
        status=INITIAL[Kind(item.kind)],
        review=Review.ACCEPTED,
        user_touched=True,
    )
    await ItemRepository(session, ctx.organization_id).add(new)
    await mentions.move(chosen, new.id)
    item.user_touched = True
    await session.flush()
    await refold(
        session, ctx.organization_id, {item.id, new.id}, await directory(session, ctx.organization_id)
    )
    data = {"new_item": str(new.id), "mentions": len(chosen)}
    await record_in_org(session, ctx, "register_item.split", ("register_item", item.id), data)
    return await detail(session, ctx, new)
