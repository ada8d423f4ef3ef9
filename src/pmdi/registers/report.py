"""The project report: latest summaries, the registers, recent decisions and the milestone timeline, as data
and as Markdown (the PDF renders the same data, `report_pdf`)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.analysis.repository import AnalysisRepository
from pmdi.core.db import utcnow
from pmdi.projects.models import Project
from pmdi.registers.exports import register_rows
from pmdi.registers.models import CLOSED_STATUSES, Kind, RegisterItem

_SUMMARIES = 3
_DECISIONS = 20
_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


@dataclass
class DocumentSummary:
    filename: str
    date: dt.date | None
    document_type: str
    summary: str


@dataclass
class ReportData:
    project: str
    description: str
    generated_at: dt.datetime
    today: dt.date
    summaries: list[DocumentSummary] = field(default_factory=list)
    actions: list[RegisterItem] = field(default_factory=list)
    risks: list[RegisterItem] = field(default_factory=list)
    decisions: list[RegisterItem] = field(default_factory=list)
    milestones: list[RegisterItem] = field(default_factory=list)

    @property
    def overdue(self) -> list[RegisterItem]:
        return [a for a in self.actions if a.due_date and a.due_date < self.today and is_open(a)]


def is_open(item: RegisterItem) -> bool:
    return item.status not in CLOSED_STATUSES


async def gather(session: AsyncSession, project: Project) -> ReportData:
    org = project.organization_id
    now = utcnow()
    data = ReportData(project.name, project.description, now, now.date())
    for analysis, document in await AnalysisRepository(session, org).latest(project.id, _SUMMARIES):
        summary = str(analysis.result.get("summary") or "")
        data.summaries.append(
            DocumentSummary(document.filename, analysis.document_date, analysis.document_type, summary)
        )
    rows = {kind: [r.item for r in await register_rows(session, org, project.id, kind)] for kind in Kind}
    data.actions = sorted(rows[Kind.ACTION], key=lambda a: (not is_open(a), a.due_date or dt.date.max))
    data.risks = sorted(
        rows[Kind.RISK], key=lambda r: (not is_open(r), _SEVERITY_ORDER.get(r.severity or "", 3))
    )
    decided = sorted(rows[Kind.DECISION], key=lambda d: d.first_mentioned_on or dt.date.min, reverse=True)
    data.decisions = decided[:_DECISIONS]
    data.milestones = rows[Kind.MILESTONE]
    return data


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def md(text: str | None) -> str:
    """Document text made inert in Markdown (no links, HTML or table breaks)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join((text or "").split())) or "-"


def day(value: dt.date | None) -> str:
    return value.isoformat() if value else "-"


def to_markdown(data: ReportData) -> str:
    lines = [
        f"# {md(data.project)} - project report",
        "",
        f"Generated {data.generated_at:%Y-%m-%d %H:%M} UTC.",
        "",
    ]
    if data.description:
        lines += [md(data.description), ""]
    open_actions = [a for a in data.actions if is_open(a)]
    lines += [
        f"**{len(open_actions)}** open actions ({len(data.overdue)} overdue), "
        f"**{sum(is_open(r) for r in data.risks)}** open risks, **{len(data.decisions)}** recent decisions, "
        f"**{len(data.milestones)}** milestones.",
        "",
        "## Summary",
        "",
    ]
    for s in data.summaries:
        lines += [f"- **{md(s.filename)}** ({day(s.date)}, {md(s.document_type)}): {md(s.summary)}"]
    lines += [
        "",
        *_md_table(
            "Action items",
            ["Action", "Owner", "Due", "Priority", "Status"],
            [[a.text, a.owner, day(a.due_date), a.priority, a.status] for a in data.actions],
        ),
    ]
    lines += _md_table(
        "Risks",
        ["Type", "Risk", "Owner", "Severity", "Likelihood", "Mitigation", "Status"],
        [[r.category, r.text, r.owner, r.severity, r.likelihood, r.mitigation, r.status] for r in data.risks],
    )
    lines += _md_table(
        "Recent decisions",
        ["Decision", "Date"],
        [[d.text, day(d.first_mentioned_on)] for d in data.decisions],
    )
    lines += _md_table(
        "Milestones",
        ["Milestone", "Date", "Status"],
        [[m.text, day(m.due_date), m.status] for m in data.milestones],
    )
    return "\n".join(lines) + "\n"  # fmt: skip


def _md_table(title: str, headers: list[str], rows: list[list[str | None]]) -> list[str]:
    lines = [f"## {title}", ""]
    if not rows:
        return [*lines, "None.", ""]
    lines += ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(md(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]
