"""Registers as spreadsheets: CSV (UTF-8 with BOM, for Excel) and XLSX with typed cells.

Cells are document text, so a value that a spreadsheet would run as a formula ("=HYPERLINK(...)") is written
as text: quoted in CSV, typed as a string in XLSX.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.registers import views
from pmdi.registers.models import Kind, RegisterItem
from pmdi.registers.repository import ItemRepository, MentionRepository


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[RegisterItem, dict[str, Any]], Any]
    kind: str = "text"  # text, date, number, integer
    width: int = 14


def _attr(name: str) -> Callable[[RegisterItem, dict[str, Any]], Any]:
    return lambda item, _: getattr(item, name)


def _extra(name: str) -> Callable[[RegisterItem, dict[str, Any]], Any]:
    return lambda _, extra: extra.get(name)


_ID = Column("ID", lambda item, _: str(item.id), width=38)
_TRAIL = [
    Column("Review", _attr("review")),
    Column("Confidence", _attr("confidence"), "number", 11),
    Column("Mentions", _extra("mentions"), "integer", 10),
    Column("First mentioned", _attr("first_mentioned_on"), "date"),
    Column("Last mentioned", _attr("last_mentioned_on"), "date"),
    Column("Sources", _extra("sources"), width=40),
]
COLUMNS: dict[Kind, list[Column]] = {
    Kind.ACTION: [
        _ID,
        Column("Action", _attr("text"), width=60),
        Column("Owner", _attr("owner"), width=20),
        Column("Due date", _attr("due_date"), "date"),
        Column("Priority", _attr("priority")),
        Column("Status", _attr("status")),
        *_TRAIL,
    ],
    Kind.RISK: [
        _ID,
        Column("Type", _attr("category")),
        Column("Risk", _attr("text"), width=60),
        Column("Owner", _attr("owner"), width=20),
        Column("Severity", _attr("severity")),
        Column("Likelihood", _attr("likelihood")),
        Column("Mitigation", _attr("mitigation"), width=40),
        Column("Status", _attr("status")),
        *_TRAIL,
    ],
    Kind.DECISION: [
        _ID,
        Column("Decision", _attr("text"), width=70),
        Column("Owner", _attr("owner"), width=20),
        Column("Status", _attr("status")),
        *_TRAIL,
    ],
    Kind.MILESTONE: [
        _ID,
        Column("Milestone", _attr("text"), width=50),
        Column("Date", _attr("due_date"), "date"),
        Column("Status", _attr("status")),
        *_TRAIL,
    ],
}
_FORMULA = re.compile(r"^[=+\-@\t\r]")


@dataclass(frozen=True)
class Row:
    item: RegisterItem
    extra: dict[str, Any]


async def register_rows(
    session: AsyncSession, organization_id: uuid.UUID, project_id: uuid.UUID, kind: Kind
) -> list[Row]:
    repo = ItemRepository(session, organization_id)
    stmt = views.ordered(repo.live().where(RegisterItem.project_id == project_id, RegisterItem.kind == kind))
    items = await repo.list(stmt)
    sources: dict[uuid.UUID, list[str]] = {i.id: [] for i in items}
    counts: dict[uuid.UUID, int] = dict.fromkeys(sources, 0)
    for mention, _, filename in await MentionRepository(session, organization_id).for_items(list(sources)):
        counts[mention.item_id] += 1
        where = f"{filename} p.{mention.page}" if mention.page else filename
        if where not in sources[mention.item_id]:
            sources[mention.item_id].append(where)
    return [Row(i, {"mentions": counts[i.id], "sources": "; ".join(sources[i.id])}) for i in items]


def _cell(column: Column, row: Row) -> Any:
    value = column.value(row.item, row.extra)
    return "" if value is None else value


def to_csv(kind: Kind, rows: Sequence[Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in COLUMNS[kind]])
    for row in rows:
        writer.writerow([_csv_value(_cell(c, row)) for c in COLUMNS[kind]])
    return ("\ufeff" + out.getvalue()).encode()


def _csv_value(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    return value


def to_xlsx(kind: Kind, rows: Sequence[Row], title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has its first sheet
    sheet.title = title[:31]
    columns = COLUMNS[kind]
    sheet.append([c.header for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, row in enumerate(rows, start=2):
        for index, column in enumerate(columns, start=1):
            _typed_cell(sheet.cell(row=number, column=index), column, _cell(column, row))
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = column.width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _typed_cell(cell: Any, column: Column, value: Any) -> None:
    if value == "":
        return
    cell.value = value
    if column.kind == "date":
        cell.number_format = "yyyy-mm-dd"
    elif column.kind == "number":
        cell.number_format = "0.00"
    elif isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
