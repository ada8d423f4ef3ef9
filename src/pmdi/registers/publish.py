"""Files made from registers: spreadsheet exports and the project report (rendered in a worker thread)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.audit.service import record_in_org
from pmdi.auth.principal import OrgContext
from pmdi.projects.models import Project
from pmdi.registers import exports, report, report_pdf
from pmdi.registers.models import Kind
from pmdi.registers.schemas import ExportFormat, ReportFormat

_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "md": "text/markdown; charset=utf-8",
    "pdf": "application/pdf",
}
_SHEETS = {
    Kind.ACTION: "Actions",
    Kind.RISK: "Risks",
    Kind.DECISION: "Decisions",
    Kind.MILESTONE: "Milestones",
}


@dataclass(frozen=True)
class File:
    content: bytes
    media_type: str
    filename: str


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:60] or "project"


async def export_register(
    session: AsyncSession, ctx: OrgContext, project: Project, kind: Kind, fmt: ExportFormat
) -> File:
    rows = await exports.register_rows(session, ctx.organization_id, project.id, kind)
    if fmt is ExportFormat.CSV:
        content = await anyio.to_thread.run_sync(exports.to_csv, kind, rows)
    else:
        content = await anyio.to_thread.run_sync(exports.to_xlsx, kind, rows, _SHEETS[kind])
    data = {"register": kind.value, "format": fmt.value, "rows": len(rows)}
    await record_in_org(session, ctx, "register.exported", ("project", project.id), data)
    filename = f"{_slug(project.name)}-{_SHEETS[kind].lower()}.{fmt.value}"
    return File(content, _MEDIA[fmt.value], filename)


async def project_report(session: AsyncSession, ctx: OrgContext, project: Project, fmt: ReportFormat) -> File:
    data = await report.gather(session, project)
    if fmt is ReportFormat.PDF:
        content = await anyio.to_thread.run_sync(report_pdf.to_pdf, data)
    else:
        content = (await anyio.to_thread.run_sync(report.to_markdown, data)).encode()
    await record_in_org(session, ctx, "project.report", ("project", project.id), {"format": fmt.value})
    return File(content, _MEDIA[fmt.value], f"{_slug(project.name)}-report.{fmt.value}")
