"""The document's own date: when the meeting was held or the report written. Relative due dates are
resolved against it, so it is looked for where writers put it, most explicit first."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from email.utils import parsedate_to_datetime

from pmdi.analysis.rules.dates import DateContext, find_dates, safe_date
from pmdi.analysis.rules.structure import header_row
from pmdi.extraction.model import BlockKind, ExtractedDocument

_DATE_LABEL = re.compile(
    r"\b(?:date|meeting date|report date|date raised|date of meeting|dated|as of|week ending|period ending|"
    r"reporting period|when|last updated|updated|revised|issued)\s*(?:[:\-\u2013|]\s*)+",
    re.I,
)
_RANGE = re.compile(r"\s*(?:-|\u2013|\u2014|to|through|until)\s*", re.I)
_COMPACT = re.compile(r"(?<!\d)(?P<y>20\d{2})(?P<mo>[01]\d)(?P<d>[0-3]\d)(?!\d)")
_EARLY_CHARS = 1500


def _first_dated(text: str, day_first: bool) -> dt.date | None:
    """The first date in `text` that names its year (no reference date exists yet)."""
    found = find_dates(text, DateContext(None, day_first), loose=True)
    if not found:
        return None
    # A reporting period "01/03/2024 - 01/16/2024" is dated by its end.
    if len(found) > 1 and _RANGE.fullmatch(text[found[0].end : found[1].start]):
        return found[1].date
    return found[0].date


def _email_date(value: object) -> dt.date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parsedate_to_datetime(value).date()
    except (TypeError, ValueError, IndexError):
        return None


def _created(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def document_date(document: ExtractedDocument, filename: str, day_first: bool) -> dt.date | None:
    """When the document was written: email date, a "Date:" line, the title, front matter, the filename, the
    first dated line, and only then the file's creation property (templates keep theirs for years)."""
    meta = document.metadata
    # A register's first date is a row's, not the document's: the early text is its prose only, and of
    # tables only the title rows above the header and "Date raised | ..." fields count.
    blocks = document.blocks[:12]
    early = " \n".join(b.text for b in blocks if b.kind is not BlockKind.TABLE)[:_EARLY_CHARS]
    titles = [
        " ".join(row)
        for b in blocks
        if b.kind is BlockKind.TABLE
        for row in _title_rows(b.rows or [], b.header)
    ]
    pairs = [
        " | ".join(row) for b in blocks if b.kind is BlockKind.TABLE for row in b.rows or [] if len(row) == 2
    ]
    fields = " \n".join([early, *titles, *pairs])
    labelled = [fields[m.end() : m.end() + 60] for m in _DATE_LABEL.finditer(fields)]
    headings = [b.text for b in document.blocks[:8] if b.kind is BlockKind.HEADING]
    compact = _COMPACT.search(filename)
    candidates: list[Callable[[], dt.date | None]] = [
        lambda: _email_date(meta.email.get("date")),
        *[lambda value=value: _first_dated(value, day_first) for value in labelled],
        lambda: _first_dated(meta.title or "", day_first),
        *[lambda value=value: _first_dated(value, day_first) for value in headings],
        lambda: _created(meta.created) if meta.extractor == "markdown" else None,
        lambda: _first_dated(filename, day_first),
        lambda: safe_date(int(compact["y"]), int(compact["mo"]), int(compact["d"])) if compact else None,
        *[lambda value=value: _first_dated(value, day_first) for value in titles],
        lambda: _first_dated(early, day_first),
        lambda: _created(meta.created),
    ]
    for candidate in candidates:
        value = candidate()
        if value is not None and 1990 <= value.year <= 2100:
            return value
    return None


def _title_rows(rows: list[list[str]], has_header: bool) -> list[list[str]]:
    """Rows above a spreadsheet's header: "Project Schedule (baseline v3, 20 Jan 2025)"."""
    return rows[: max(0, header_row(rows, has_header))]
