"""Spreadsheets: every XLSX sheet and every CSV file is one table, its rows kept as cells."""

from __future__ import annotations

import csv
import io
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import openpyxl

from pmdi.documents.sniff import CSV, XLSX
from pmdi.extraction.base import ByMediaType, ExtractOptions, register
from pmdi.extraction.decoding import read_text
from pmdi.extraction.errors import CorruptDocument
from pmdi.extraction.model import ExtractedDocument, Metadata, TextBuilder
from pmdi.extraction.office import core_metadata, keep_pages, library_errors
from pmdi.extraction.zipguard import check_archive

MAX_TABLE_ROWS = 100_000  # spreadsheet and CSV rows kept per document
SNIFF_CHARS = 64 * 1024
SNIFF_LINES = 50
DELIMITERS = ",;\t|"


@register
class XlsxExtractor(ByMediaType):
    name = "xlsx"
    media_types = frozenset({XLSX})

    def extract(self, path: Path, media_type: str, options: ExtractOptions) -> ExtractedDocument:
        check_archive(path, options, "Excel workbook")
        builder = TextBuilder(max_chars=options.max_chars)
        # A file object, because openpyxl refuses paths without an Excel extension; openpyxl also warns
        # about every feature it drops (validation, styles), which is noise here.
        with path.open("rb") as handle, library_errors("Excel workbook"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
            try:
                props = workbook.properties
                metadata = core_metadata(props.title, props.creator, props.created)
                _write_sheets(workbook, builder, options, metadata)
            finally:
                workbook.close()
        return builder.build(metadata)


def _write_sheets(workbook: Any, builder: TextBuilder, options: ExtractOptions, metadata: Metadata) -> None:
    sheets = workbook.worksheets
    budget = RowBudget()
    for sheet in sheets[: keep_pages(len(sheets), options, metadata, "sheets")]:
        builder.start_page(label=sheet.title)
        # Declared dimensions can be wrong or hostile (A1:XFD1048576); openpyxl pads every row to them.
        sheet.reset_dimensions()
        values = ((cell_text(value) for value in row) for row in sheet.iter_rows(values_only=True))
        rows = budget.take(values, builder)
        builder.add_table(_trim_leading_columns(rows), header=True, meta={"sheet": sheet.title})
    budget.report(metadata)


def cell_text(value: object) -> str:
    """A cell as Excel shows it by default: whole numbers without ".0", dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.15g}"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _trim_leading_columns(rows: list[list[str]]) -> list[list[str]]:
    lead = min((next(i for i, cell in enumerate(row) if cell) for row in rows), default=0)
    return [row[lead:] for row in rows]


@dataclass
class RowBudget:
    """Stops reading rows before the text limit would cut a table mid-row, keeping cells and text equal."""

    rows_left: int = MAX_TABLE_ROWS
    truncated: bool = False

    def take(self, rows: Iterable[Iterable[str]], builder: TextBuilder) -> list[list[str]]:
        used = builder.blocks[-1].end + len(builder.BLOCK_SEPARATOR) if builder.blocks else 0
        chars_left = (builder.max_chars if builder.max_chars is not None else 1 << 62) - used
        kept: list[list[str]] = []
        for values in rows:
            row = list(values)
            while row and not row[-1]:
                row.pop()
            if not row:
                continue
            # The cells, their separators and the newline before every row but the first: an upper bound,
            # as the builder only collapses whitespace.
            size = sum(map(len, row)) + len(builder.CELL_SEPARATOR) * (len(row) - 1) + bool(kept)
            if self.rows_left == 0 or size > chars_left:
                self.truncated = True
                break
            kept.append(row)
            self.rows_left -= 1
            chars_left -= size
        return kept

    def report(self, metadata: Metadata) -> None:
        if self.truncated:
            metadata.truncated = True
            metadata.warnings.append("The table is too large; only its first rows were read.")


@register
class CsvExtractor(ByMediaType):
    name = "csv"
    media_types = frozenset({CSV})

    def extract(self, path: Path, media_type: str, options: ExtractOptions) -> ExtractedDocument:
        metadata = Metadata()
        builder = TextBuilder(max_chars=options.max_chars)
        decoded = read_text(path, options)
        text = decoded.text
        metadata.warnings.extend(decoded.warnings())
        metadata.truncated = decoded.truncated
        if not text.strip():
            metadata.warnings.append("The CSV file is empty.")
            return builder.build(metadata)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
        budget = RowBudget()
        builder.start_page()
        try:
            rows = budget.take(reader, builder)
        except csv.Error as exc:
            raise CorruptDocument(f"The CSV file cannot be parsed: {exc}.") from exc
        builder.add_table(rows, header=True)
        budget.report(metadata)
        return builder.build(metadata)


def sniff_delimiter(text: str) -> str:
    """The candidate splitting the first lines most consistently into more than one column. Not
    csv.Sniffer: its quote regex is quadratic in line length (37 s on one hostile 64 KB line)."""
    lines = text[:SNIFF_CHARS].splitlines()[:SNIFF_LINES]
    if len(text) > SNIFF_CHARS and len(lines) > 1:
        lines.pop()  # cut off mid-line

    def consistency(delimiter: str) -> tuple[int, int]:
        widths = Counter(len(row) for row in csv.reader(lines, delimiter=delimiter) if row)
        width, agreeing = widths.most_common(1)[0] if widths else (1, 0)
        return (agreeing, width) if width > 1 else (0, 0)

    best = max(DELIMITERS, key=consistency)
    return best if consistency(best) > (0, 0) else ","
