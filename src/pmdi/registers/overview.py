"""A project's registers at a glance (the project home page): counts and the few items worth seeing first,
each a bounded query, so the page costs the same with ten items or ten thousand."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Select, case
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.auth.principal import OrgContext
from pmdi.projects.models import Project
from pmdi.registers import views
from pmdi.registers.models import Kind, RegisterItem
from pmdi.registers.repository import ItemRepository
from pmdi.registers.schemas import ItemFilters, View

SHOWN = 10
MILESTONES_SHOWN = 50
_SEVERITY = case({"high": 0, "medium": 1, "low": 2}, value=RegisterItem.severity, else_=3)


@dataclass
class Overview:
    open_counts: dict[str, int] = field(default_factory=dict)  # kind → open items
    overdue_total: int = 0
    decisions_total: int = 0
    milestones_total: int = 0
    overdue: list[RegisterItem] = field(default_factory=list)
    risks: list[RegisterItem] = field(default_factory=list)
    decisions: list[RegisterItem] = field(default_factory=list)
    milestones: list[RegisterItem] = field(default_factory=list)


async def overview(session: AsyncSession, ctx: OrgContext, project: Project, today: dt.date) -> Overview:
    repo = ItemRepository(session, ctx.organization_id)

    def where(kind: Kind | None = None, view: View | None = None) -> Select[RegisterItem]:
        filters = ItemFilters(project=project.id, kind=kind, view=view, today=today)
        return views.filtered(repo, filters, ctx.user_id, None)

    found = Overview()
    found.open_counts = {k or "": n for k, n in await repo.counts_by(where(view=View.OPEN), "kind")}
    overdue = views.ordered(where(Kind.ACTION, View.OVERDUE))
    overdue_items, found.overdue_total = await repo.page(overdue, SHOWN, 0)
    found.overdue = list(overdue_items)
    risks = where(Kind.RISK, View.OPEN).order_by(_SEVERITY, RegisterItem.created_at.desc(), RegisterItem.id)
    found.risks = list(await repo.list(risks.limit(SHOWN)))
    latest = RegisterItem.first_mentioned_on.is_(None), RegisterItem.first_mentioned_on.desc()
    decisions = where(Kind.DECISION).order_by(*latest, RegisterItem.created_at.desc())
    decided, found.decisions_total = await repo.page(decisions, SHOWN, 0)
    milestones = views.ordered(where(Kind.MILESTONE))
    planned, found.milestones_total = await repo.page(milestones, MILESTONES_SHOWN, 0)
    found.decisions, found.milestones = list(decided), list(planned)
    return found
