"""The dashboard's numbers for one organisation (or one of its projects) over a window of UTC days."""

from __future__ import annotations

import datetime as dt
import math
import statistics
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.core.db import utcnow
from pmdi.dashboard.repository import DashboardRepository
from pmdi.projects.models import Project
from pmdi.registers.models import CLOSED_STATUSES

SEVERITIES = ("high", "medium", "low", "unrated")
# Beyond this many projects the actions chart stops being readable; the rest are summed into one row.
MAX_PROJECTS = 12


@dataclass(frozen=True)
class Window:
    first: dt.date
    last: dt.date

    @classmethod
    def ending_today(cls, days: int) -> Window:
        today = utcnow().date()
        return cls(today - dt.timedelta(days=days - 1), today)

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time.min, dt.UTC)

    @property
    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=n) for n in range((self.last - self.first).days + 1)]


@dataclass(frozen=True)
class Headline:
    documents: int
    processed: int
    failed: int
    open_actions: int
    open_high_risks: int


@dataclass(frozen=True)
class Timing:
    """Seconds a document spent in the pipeline's stages, on one day; None without runs."""

    runs: int
    median: float | None
    p95: float | None


@dataclass(frozen=True)
class StageTiming:
    stage: str
    runs: int
    mean: float


@dataclass(frozen=True)
class ProjectActions:
    name: str
    open: int
    closed: int


@dataclass(frozen=True)
class Dashboard:
    window: Window
    headline: Headline
    processed: dict[dt.date, int]
    timings: dict[dt.date, Timing]
    stages: list[StageTiming]
    cost: dict[dt.date, float]
    tokens: int
    actions: list[ProjectActions]
    risks: dict[str, int]

    @property
    def cost_total(self) -> float:
        return sum(self.cost.values())


def per_day(window: Window, moments: Iterable[dt.datetime]) -> dict[dt.date, int]:
    counts = Counter(moment.date() for moment in moments)
    return {day: counts[day] for day in window.days}


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest rank: always one of the observed values, also for a handful of runs."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def timings(
    window: Window, rows: Iterable[tuple[uuid.UUID, dt.datetime | None, str, int | None]]
) -> tuple[dict[dt.date, Timing], list[StageTiming]]:
    per_job: dict[uuid.UUID, float] = defaultdict(float)
    finished: dict[uuid.UUID, dt.date] = {}
    per_stage: dict[str, list[float]] = defaultdict(list)
    for job_id, finished_at, stage, ms in rows:
        if finished_at is None or ms is None:
            continue
        per_job[job_id] += ms / 1000
        finished[job_id] = finished_at.date()
        per_stage[stage].append(ms / 1000)
    by_day: dict[dt.date, list[float]] = defaultdict(list)
    for job_id, seconds in per_job.items():
        by_day[finished[job_id]].append(seconds)
    days = {
        day: Timing(len(spent), statistics.median(spent), percentile(spent, 0.95))
        if (spent := by_day.get(day))
        else Timing(0, None, None)
        for day in window.days
    }
    return days, [StageTiming(name, len(spent), statistics.fmean(spent)) for name, spent in per_stage.items()]


def actions_by_project(
    rows: Iterable[tuple[uuid.UUID, str, str, int]], only: Project | None
) -> list[ProjectActions]:
    """Most open actions first; a filtered dashboard always shows its project, even without actions."""
    counts: dict[uuid.UUID, list[int]] = defaultdict(lambda: [0, 0])
    names: dict[uuid.UUID, str] = {}
    for project_id, name, status, count in rows:
        names[project_id] = name
        counts[project_id][1 if status in CLOSED_STATUSES else 0] += count
    found = sorted(
        (ProjectActions(names[p], *counts[p]) for p in counts), key=lambda a: (-a.open, -a.closed, a.name)
    )
    if not found:
        return [ProjectActions(only.name if only else "All projects", 0, 0)]
    if len(found) <= MAX_PROJECTS:
        return found
    rest = found[MAX_PROJECTS - 1 :]
    other = ProjectActions(
        f"{len(rest)} other projects", sum(a.open for a in rest), sum(a.closed for a in rest)
    )
    return [*found[: MAX_PROJECTS - 1], other]


def risks_by_severity(rows: Iterable[tuple[str | None, int]]) -> dict[str, int]:
    counts = dict.fromkeys(SEVERITIES, 0)
    for severity, count in rows:
        counts[severity if severity in counts else "unrated"] += count
    return counts


def cost_per_day(
    window: Window, rows: Iterable[tuple[dt.datetime, float, int]]
) -> tuple[dict[dt.date, float], int]:
    cost = dict.fromkeys(window.days, 0.0)
    tokens = 0
    for at, dollars, used in rows:
        if at.date() in cost:
            cost[at.date()] += dollars or 0.0
        tokens += used or 0
    return cost, tokens


async def gather(
    session: AsyncSession, organization_id: uuid.UUID, project: Project | None, days: int
) -> Dashboard:
    window = Window.ending_today(days)
    repo = DashboardRepository(session, organization_id, project.id if project else None)
    documents, failed = await repo.document_totals(window.since)
    processed = per_day(window, await repo.processed_times(window.since))
    day_timings, stages = timings(window, await repo.stage_durations(window.since))
    cost, tokens = cost_per_day(window, await repo.llm_costs(window.since))
    actions = actions_by_project(await repo.action_counts(), project)
    risks = risks_by_severity(await repo.open_risk_counts())
    headline = Headline(
        documents=documents,
        processed=sum(processed.values()),
        failed=failed,
        open_actions=sum(a.open for a in actions),
        open_high_risks=risks["high"],
    )
    return Dashboard(window, headline, processed, day_timings, stages, cost, tokens, actions, risks)
