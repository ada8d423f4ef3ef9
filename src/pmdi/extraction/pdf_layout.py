"""From pdfminer's positioned lines to blocks: paragraphs joined by position, headings by size, lists by
bullet and indent, and ruled tables placed once where their lines were."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from pdfminer.layout import LTChar, LTComponent, LTFigure, LTPage, LTTextBox, LTTextLine

from pmdi.extraction.model import BlockKind, TextBuilder
from pmdi.extraction.ocr import join_lines

HEADING_RATIO = 1.15  # a line this much larger than the body text is a heading
MAX_HEADING_CHARS = 200
MAX_BOLD_HEADING_CHARS = 80  # a short bold line of body size is a heading too
_GLYPHS = "•◦▪▫‣\u2043●○■□►▸✓✔➢➤·"
_BULLET = re.compile(rf"^[{_GLYPHS}*\-\u2013\u2014]\s+")
_LONE_BULLET = re.compile(rf"^[{_GLYPHS}]$")
_NUMBERED = re.compile(r"^(?:\d{1,3}[.)]|[a-z]\)|\((?:\d{1,3}|[a-z]|[ivx]{1,4})\))\s+")
BOLD = re.compile(r"bold|black|heavy", re.IGNORECASE)
_CID = re.compile(r"\(cid:\d+\)")
_LEADING_CID = re.compile(r"^\(cid:\d+\)\s")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\xad\u200b-\u200d\u2060\ufeff]")
_SENTENCE_END = re.compile(r"[.!?:;]['\")\]]?$")
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
Item = TypeVar("Item", bound=LTComponent)


@dataclass
class Line:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    right: float  # the right edge of its layout box, to tell a paragraph's short last line
    bold: bool = False


@dataclass
class Table:
    rows: list[list[str]]
    bbox: tuple[float, float, float, float]  # pdfminer coordinates

    def holds(self, line: Line) -> bool:
        x, y = (line.x0 + line.x1) / 2, (line.y0 + line.y1) / 2
        return self.bbox[0] - 1 <= x <= self.bbox[2] + 1 and self.bbox[1] - 1 <= y <= self.bbox[3] + 1


@dataclass
class Group:
    kind: BlockKind
    level: int | None
    lines: list[Line] = field(default_factory=list)


def _walk(container: Iterable[LTComponent], kind: type[Item]) -> Iterator[Item]:
    for item in container:
        if isinstance(item, kind):
            yield item
        elif isinstance(item, LTFigure):
            yield from _walk(item, kind)


def lines_from_layout(layout: LTPage) -> list[Line]:
    lines: list[Line] = []
    for box in _walk(layout, LTTextBox):
        for item in box:
            text = clean(item.get_text()) if isinstance(item, LTTextLine) else ""
            if not text:
                continue
            chars = [char for char in item if isinstance(char, LTChar) and char.get_text().isalnum()]
            sizes = sorted(char.size for char in chars) or [0.0]
            bold = bool(chars) and all(BOLD.search(char.fontname) for char in chars)
            append_line(lines, Line(text, *item.bbox, size=sizes[len(sizes) // 2], right=box.x1, bold=bold))
    return lines


def append_line(lines: list[Line], line: Line) -> None:
    last = lines[-1] if lines else None
    # A tab splits "1.2<tab>Background" into two boxes on one baseline; it reads as one line.
    if last and abs(last.y0 - line.y0) < 1 and 0 <= line.x0 - last.x1 < 6 * max(line.size, 1):
        line = replace(line, text=f"{last.text} {line.text}", x0=last.x0, bold=last.bold and line.bold)
        line.y1, line.size = max(last.y1, line.y1), max(last.size, line.size)
        lines.pop()
    lines.append(line)


def lines_from_text(text: str) -> list[Line]:
    """pdfium's lines, a line's length standing in for its width; a blank line follows one far short."""
    cleaned = [clean(raw) for raw in text.splitlines()]
    right = float(max((len(line) for line in cleaned), default=0))
    lines = list(
        itertools.chain.from_iterable((line, "") if len(line) < right / 2 else (line,) for line in cleaned)
    )
    return [Line(line, 0, -12 * row - 10, len(line), -12 * row, 10, right) for row, line in enumerate(lines)]


def clean(text: str) -> str:
    """One line of PDF text: unknown glyphs dropped (a leading one is a bullet), ligatures split."""
    text = _CID.sub("", _LEADING_CID.sub("• ", text.strip())).translate(_LIGATURES)
    text = re.sub(r"[\xad\x02\ufffe]$", "-", text.rstrip())  # pdfium's marks of a line-end hyphen
    return " ".join(_CONTROL.sub("", text).split())


def plumber_tables(page: Any) -> list[Table]:
    """Ruled tables with at least two rows and two columns, in pdfminer's coordinates."""
    left, top = page.mediabox[0], page.mediabox[1]
    tables = []
    for found in page.find_tables():
        rows = [[clean(cell or "") for cell in row] for row in found.extract()]
        if len(rows) < 2 or max(len(row) for row in rows) < 2:
            continue  # a framed paragraph, not a table
        x0, y_top, x1, y_bottom = found.bbox
        tables.append(
            Table(rows, (x0 - left, page.height - y_bottom + top, x1 - left, page.height - y_top + top))
        )
    return tables


def with_tables(lines: list[Line], tables: list[Table]) -> list[Line | Table]:
    """Lines in reading order, with each table once in place of the lines inside it."""
    items: list[Line | Table] = []
    placed: list[Table] = []
    for line in lines:
        table = next((table for table in tables if table.holds(line)), None)
        if table is None:
            items.append(line)
        elif table not in placed:
            placed.append(table)
            items.append(table)
    return items + [table for table in tables if table not in placed]


def body_size(lines: list[Line], tables: list[Table]) -> float:
    sizes: Counter[float] = Counter()
    for line in lines:
        if not any(table.holds(line) for table in tables):
            sizes[round(line.size * 2) / 2] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def group_lines(items: Sequence[Line | Table], body: float) -> list[Group | Table]:
    lines = [item for item in items if isinstance(item, Line)]
    gaps = sorted(a.y0 - b.y1 for a, b in itertools.pairwise(lines) if 0 <= a.y0 - b.y1 <= 2 * body)
    # Paragraph spacing is judged against the page's own line spacing, so double-spaced text stays whole.
    limit = max(0.8 * body, 1.4 * gaps[len(gaps) // 2]) if gaps else 0.8 * body
    groups: list[Group | Table] = []
    for item in items:
        current = groups[-1] if groups else None
        if isinstance(item, Table):
            groups.append(item)
        elif isinstance(current, Group) and _continues(current, item, _classify(item, body)[0], limit):
            current.lines.append(item)
        else:
            groups.append(Group(*_classify(item, body), lines=[item]))
    return groups


def _classify(line: Line, body: float) -> tuple[BlockKind, int | None]:
    if body and line.size >= body * HEADING_RATIO:
        ratio = line.size / body
        return BlockKind.HEADING, 1 if ratio >= 1.6 else 2 if ratio >= 1.3 else 3
    short = len(line.text) <= MAX_BOLD_HEADING_CHARS and sum(char.isalpha() for char in line.text) > 1
    if line.bold and short and not _SENTENCE_END.search(line.text):
        return BlockKind.HEADING, 4
    if _BULLET.match(line.text) or _NUMBERED.match(line.text) or _LONE_BULLET.match(line.text):
        return BlockKind.LIST_ITEM, 1
    return BlockKind.PARAGRAPH, None


def _continues(group: Group, line: Line, kind: BlockKind, limit: float) -> bool:
    """Whether `line` carries on the heading, paragraph or list item that `group` is building."""
    last = group.lines[-1]
    if group.kind == BlockKind.LIST_ITEM and len(group.lines) == 1 and _LONE_BULLET.match(last.text):
        return kind == BlockKind.PARAGRAPH  # the bullet glyph stood apart from its text
    # Layout boxes also split paragraphs at indents, so lines join by position: directly below, overlapping.
    below = -0.3 * last.size <= last.y0 - line.y1 <= limit and line.x0 < last.x1 and line.x1 > last.x0
    heading = group.kind == BlockKind.HEADING
    if not below or kind == BlockKind.LIST_ITEM or heading != (kind == BlockKind.HEADING):
        return False
    if heading:
        return abs(line.size - last.size) < 0.5
    ended = last.x1 < last.right - 0.15 * (last.right - last.x0) and _SENTENCE_END.search(last.text)
    return not ended and (group.kind == BlockKind.LIST_ITEM or line.x0 <= last.x0 + last.size)


def _nest(groups: list[Group | Table]) -> list[Group | Table]:
    """List levels from indentation: the n-th distinct bullet position from the left is level n."""
    items = [group for group in groups if isinstance(group, Group) and group.kind == BlockKind.LIST_ITEM]
    indents = sorted({round(item.lines[0].x0 / 6) for item in items})
    for item in items:
        item.level = indents.index(round(item.lines[0].x0 / 6)) + 1
    return groups


def emit(groups: list[Group | Table], builder: TextBuilder) -> None:
    for group in _nest(groups):
        if isinstance(group, Table):
            builder.add_table(group.rows, header=True)
            continue
        text = join_lines(line.text for line in group.lines)
        if group.kind == BlockKind.LIST_ITEM:
            if not _LONE_BULLET.match(text):  # a bullet whose text never followed
                builder.add(BlockKind.LIST_ITEM, _BULLET.sub("", text, count=1), level=group.level)
        elif group.kind == BlockKind.HEADING and len(text) <= MAX_HEADING_CHARS:
            builder.add(BlockKind.HEADING, text, level=group.level)
        else:
            builder.add(BlockKind.PARAGRAPH, text)
