"""The dashboard page: headline numbers and five bar charts for the organisation or one of its projects."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from pmdi.auth.permissions import Permission
from pmdi.auth.secrets import parse_uuid
from pmdi.core.deps import Page, SessionDep
from pmdi.dashboard import service
from pmdi.dashboard.service import SEVERITIES, Dashboard
from pmdi.projects import service as projects_service
from pmdi.projects.errors import ProjectNotFound
from pmdi.projects.models import Project
from pmdi.projects.repository import ProjectRepository
from pmdi.web import charts
from pmdi.web.charts import Chart, Series
from pmdi.web.deps import Viewer, ViewerDep, render

router = APIRouter()
PERIODS = (7, 30, 90, 365)
# Colours for when the stylesheet does not theme the series classes.
PRIMARY, SECONDARY, DONE = "#2457c5", "#9db4e6", "#8a94a3"


def count(value: float) -> str:
    return f"{value:,.0f}"


def seconds(value: float) -> str:
    return f"{value:,.0f} s" if value >= 10 else f"{value:.3g} s"


def usd(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.1 or value == 0 else f"${value:.2g}"


def daily(
    key: str,
    title: str,
    summary: str,
    days: list[dt.date],
    series: list[Series],
    fmt: charts.Format,
    whole: bool = False,
) -> Chart:
    ticks = [f"{day.day} {day:%b}" for day in days]
    return charts.columns(key, title, summary, [d.isoformat() for d in days], ticks, series, fmt, whole)


def documents_chart(data: Dashboard) -> Chart:
    days = data.window.days
    values = [data.processed[d] for d in days]
    summary = f"{sum(values)} documents processed in {len(days)} days; at most {max(values)} on one day."
    series = [Series("Documents processed", "s-primary", PRIMARY, values)]
    return daily("documents", "Documents processed per day", summary, days, series, count, whole=True)


def timing_chart(data: Dashboard) -> Chart:
    days = data.window.days
    timings = [data.timings[d] for d in days]
    slowest = max(t.p95 or 0.0 for t in timings)
    runs = sum(t.runs for t in timings)
    summary = f"{runs} processing runs; the slowest day's 95th percentile was {seconds(slowest)}."
    series = [
        Series("95th percentile", "s-secondary", SECONDARY, [t.p95 for t in timings]),
        Series("Median", "s-primary", PRIMARY, [t.median for t in timings]),
    ]
    return daily("timing", "Processing time per day", summary, days, series, seconds)


def cost_chart(data: Dashboard) -> Chart:
    days = data.window.days
    summary = f"{usd(data.cost_total)} in {len(days)} days, {data.tokens:,} tokens."
    series = [Series("AI cost", "s-primary", PRIMARY, [data.cost[d] for d in days])]
    return daily("cost", "AI cost per day", summary, days, series, usd)


def actions_chart(data: Dashboard) -> Chart:
    rows = data.actions
    summary = (
        f"{data.headline.open_actions} open or in progress, {sum(a.closed for a in rows)} done or cancelled."
    )
    series = [
        Series("Open or in progress", "s-primary", PRIMARY, [a.open for a in rows]),
        Series("Done or cancelled", "s-done", DONE, [a.closed for a in rows]),
    ]
    notes = [f"{a.open} open · {a.closed} done" for a in rows]
    return charts.rows("actions", "Actions by project", summary, [a.name for a in rows], series, count, notes)


def risks_chart(data: Dashboard) -> Chart:
    values = [data.risks[s] for s in SEVERITIES]
    summary = ", ".join(f"{n} {severity}" for severity, n in zip(SEVERITIES, values, strict=True)) + "."
    series = [Series("Open risks", "s-primary", PRIMARY, values)]
    names = [s.capitalize() for s in SEVERITIES]
    notes = [count(v) for v in values]
    return charts.rows("risks", "Open risks by severity", summary, names, series, count, notes)


async def _project(session: SessionDep, viewer: Viewer, raw: str) -> Project | None:
    """Malformed, unknown and other organisations' projects all read as not found."""
    if not raw:
        return None
    project_id = parse_uuid(raw)
    if project_id is None:
        raise ProjectNotFound()
    return await ProjectRepository(session, viewer.ctx.organization_id).get_or_raise(project_id)


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(
    request: Request,
    viewer: ViewerDep,
    session: SessionDep,
    project: Annotated[str, Query(max_length=36)] = "",
    days: Annotated[int, Query(ge=7, le=365)] = 30,
) -> Response:
    ctx = viewer.require(Permission.ORG_READ)
    chosen = await _project(session, viewer, project)
    data = await service.gather(session, ctx.organization_id, chosen, days)
    projects = await projects_service.list_projects(session, ctx, Page(200, 0))
    return render(
        request,
        "dashboard.html",
        viewer,
        data=data,
        project=chosen,
        projects=projects.items,
        periods=sorted({*PERIODS, days}),
        pipeline=[documents_chart(data), timing_chart(data), cost_chart(data)],
        registers=[actions_chart(data), risks_chart(data)],
    )
