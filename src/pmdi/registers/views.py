"""Register queries: filters and the named views (overdue, due this week, open), scoped by the repository."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ColumnElement, Select, func, or_

from pmdi.registers.models import CLOSED_STATUSES, Kind, RegisterItem
from pmdi.registers.owners import OwnerDirectory
from pmdi.registers.repository import ItemRepository
from pmdi.registers.schemas import ItemFilters, View

_DATED = (Kind.ACTION.value, Kind.MILESTONE.value)


def filtered(
    repo: ItemRepository, filters: ItemFilters, user_id: uuid.UUID, owners: OwnerDirectory | None
) -> Select[RegisterItem]:
    stmt = repo.select() if filters.review else repo.live()
    item = RegisterItem
    exact = {
        item.project_id: filters.project,
        item.kind: filters.kind.value if filters.kind else None,
        item.status: filters.status,
        item.review: filters.review,
        item.severity: filters.severity,
        item.category: filters.category,
    }
    for column, value in exact.items():
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.owner:
        stmt = stmt.where(_owner(filters.owner, user_id, owners))
    if filters.changed_since is not None:
        stmt = stmt.where(item.updated_at >= filters.changed_since)
    if filters.view is not None:
        stmt = _view(stmt, filters.view, filters.today or dt.date.today())
    return stmt


def _owner(owner: str, user_id: uuid.UUID, owners: OwnerDirectory | None) -> ColumnElement[bool]:
    if owner.casefold() == "me":
        return RegisterItem.owner_user_id == user_id
    member = owners.resolve(owner) if owners is not None else None
    written = func.lower(RegisterItem.owner) == owner.casefold()
    return or_(written, RegisterItem.owner_user_id == member) if member is not None else written


def _view(stmt: Select[RegisterItem], view: View, today: dt.date) -> Select[RegisterItem]:
    stmt = stmt.where(RegisterItem.status.not_in(list(CLOSED_STATUSES)))
    if view is View.OVERDUE:
        return stmt.where(RegisterItem.kind.in_(_DATED), RegisterItem.due_date < today)
    if view is View.DUE_THIS_WEEK:
        sunday = today + dt.timedelta(days=6 - today.weekday())
        return stmt.where(RegisterItem.kind.in_(_DATED), RegisterItem.due_date.between(today, sunday))
    return stmt


def ordered(stmt: Select[RegisterItem]) -> Select[RegisterItem]:
    """Dated items by date (undated last), then the newest first."""
    return stmt.order_by(
        RegisterItem.due_date.is_(None),
        RegisterItem.due_date,
        RegisterItem.created_at.desc(),
        RegisterItem.id,
    )
