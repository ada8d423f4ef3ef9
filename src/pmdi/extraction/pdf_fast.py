"""Positioned lines and ruling lines straight from pdfium, for pages simple enough to skip pdfminer.

pdfminer's layout analysis costs over a tenth of a second a page in Python, while pdfium has already split
the text into lines with boxes, in C. When a page's lines stack in a single column, upright, reading them
top to bottom is what the analysis would give, so such pages get their lines here, measured the way
pdfminer measures them (font size, boldness, layout boxes). Pages with lines side by side (columns,
sidebars, labels beside values) or turned text get None: pdfminer reads those. An unruled table whose rows
pdfium reads as lines stays here, read row by row, where pdfminer would read it column by column.
"""

from __future__ import annotations

import ctypes
import itertools
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pypdfium2.raw as pdfium_c
from pypdfium2 import PdfiumError, PdfMatrix

from pmdi.extraction.pdf_layout import BOLD, Line, Table, append_line, clean

LINE_MARGIN = 0.5  # pdfminer's LAParams.line_margin: lines closer than this (in heights) share a layout box
APART = 6.0  # a gap of this many font sizes splits a row, as lines_from_layout's joining stops there
SIDE_BY_SIDE = 0.3  # lines sharing this share of their height are side by side, not one above the other
GUTTER = 1.0  # a gap of this many font sizes inside a line separates stretches of text...
WIDE = 3.0  # ...and a stretch this many font sizes wide is text, not a bullet, a number or a short label
MIN_COLUMN_LINES = 3  # this many lines wholly in each half of the text are two columns
MAX_GUTTERS = 2  # this many lines with text on both sides of a gap are columns drawn across, row by row
MAX_FORM_DEPTH = 15  # how deep has_rules follows forms nested in forms, as far as pypdfium2 goes
Box = tuple[float, float, float, float]


class _NeedsLayout(Exception):
    """The page has text that only pdfminer's layout analysis reads in order."""


@dataclass
class Chunk:
    """One text object's characters in a row: one font, size and matrix, one pdfium text rectangle."""

    text: str
    x0: float
    x1: float
    bottom: float  # the font's descent below the baseline, where pdfminer starts a character's box
    size: float
    bold: bool
    letters: int  # alphanumeric characters: what pdfminer takes the median size and boldness over


def fast_lines(
    textpage: Any, text: str, origin: tuple[float, float], tables: list[Table]
) -> list[Line] | None:
    """The page's lines top to bottom, with their layout boxes' right edges; None if it needs pdfminer.

    `text` is the text page's text, `origin` the media box corner where pdfminer's coordinates start, and
    lines inside `tables` are not judged: a table's cells always sit side by side.
    """
    try:
        rows = list(_Reader(textpage, text, origin).rows())
    except (_NeedsLayout, PdfiumError):  # PdfiumError: a text page that fails to give a rectangle
        return None
    lines: list[Line] = []
    gutters = 0
    for piece in itertools.chain.from_iterable(_pieces(row) for row in rows):
        line = _line(piece)
        if line.text:
            gutters += _has_gutter(piece) and not _in(line, tables)
            append_line(lines, line)
    judged = [line for line in lines if not _in(line, tables)]
    if gutters >= MAX_GUTTERS or not _stacked(judged) or _columns(judged):
        return None
    lines.sort(key=lambda line: -line.y1)
    _box(lines)
    return lines


class _Reader:
    """A text page read by pdfium's text rectangles: a few calls per text object, not per character."""

    def __init__(self, textpage: Any, text: str, origin: tuple[float, float]) -> None:
        self.textpage, self.raw, self.text = textpage, textpage.raw, text
        self.left, self.bottom = origin
        self.matrix, self.box = pdfium_c.FS_MATRIX(), pdfium_c.FS_RECTF()
        self.name, self.flags = ctypes.create_string_buffer(128), ctypes.c_int()
        self.fonts: dict[bytes, bool] = {}

    def rows(self) -> Iterator[list[Chunk]]:
        if len(self.text) != pdfium_c.FPDFText_CountChars(self.raw):
            raise _NeedsLayout  # characters and text no longer line up: pdfium left some out or added some
        start = 0
        for row in self.text.split("\r\n"):  # pdfium ends each line it found with a generated CRLF
            end = start + len(row)
            if row.strip():
                yield self._chunks(start, end)
            start = end + 2

    def _chunks(self, start: int, end: int) -> list[Chunk]:
        count = pdfium_c.FPDFText_CountRects(self.raw, start, end - start)
        if count <= 0:
            raise _NeedsLayout  # pdfium failed to measure the row
        rects = [self.textpage.get_rect(index) for index in range(count)]  # before _starts recounts
        starts = self._starts(start, end, count)
        chunks: list[Chunk] = []
        boxless = ""  # a space drawn on its own, or characters without a box: text without a place
        for rect, first, last in zip(rects, starts, [*starts[1:], end], strict=True):
            chunk = self._chunk(first, self.text[first:last], rect)
            if chunk is None:
                boxless += self.text[first:last]
            else:
                chunk.text = boxless + chunk.text
                chunks.append(chunk)
                boxless = ""
        if not chunks:
            raise _NeedsLayout  # text that pdfium cannot place
        chunks[-1].text += boxless
        return chunks

    def _starts(self, start: int, end: int, count: int) -> list[int]:
        """Where each rectangle's characters start: where a prefix from the last start first has two.

        The search gallops, so that a row of many small text objects costs a few calls for each.
        """
        starts = [start]
        for _ in range(count - 1):
            first = starts[-1]
            low, high = 1, min(2, end - first)  # rectangles in [first, first + low) < 2 <= in high
            while high < end - first and self._count(first, high) < 2:
                low, high = high, min(2 * high, end - first)
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (low, middle) if self._count(first, middle) >= 2 else (middle, high)
            starts.append(first + high - 1)
        return starts

    def _count(self, start: int, count: int) -> int:
        return int(pdfium_c.FPDFText_CountRects(self.raw, start, count))

    def _chunk(self, first: int, text: str, rect: Box) -> Chunk | None:
        offset = next((i for i, char in enumerate(text) if char.isalnum()), None)
        if offset is None:
            offset = next((i for i, char in enumerate(text) if not char.isspace()), None)
        if offset is None or rect[2] <= rect[0]:
            return None
        index, matrix = first + offset, self.matrix
        placed = pdfium_c.FPDFText_GetMatrix(self.raw, index, matrix)
        if not placed or not pdfium_c.FPDFText_GetLooseCharBox(self.raw, index, self.box):
            raise _NeedsLayout
        if abs(matrix.b) > 1e-3 or abs(matrix.c) > 1e-3 or matrix.a <= 0 or matrix.d <= 0:
            raise _NeedsLayout  # turned or mirrored text
        size = pdfium_c.FPDFText_GetFontSize(self.raw, index) * matrix.d  # the font size as drawn
        x0, x1 = rect[0] - self.left, rect[2] - self.left
        letters = sum(map(str.isalnum, text))
        return Chunk(text, x0, x1, self.box.bottom - self.bottom, size, self._bold(index), letters)

    def _bold(self, index: int) -> bool:
        length = pdfium_c.FPDFText_GetFontInfo(self.raw, index, self.name, len(self.name), self.flags)
        if length > len(self.name):
            self.name = ctypes.create_string_buffer(length)
            pdfium_c.FPDFText_GetFontInfo(self.raw, index, self.name, length, self.flags)
        name = self.name.value
        if name not in self.fonts:
            self.fonts[name] = bool(BOLD.search(name.decode("latin-1")))
        return self.fonts[name]


def _pieces(chunks: list[Chunk]) -> list[list[Chunk]]:
    """A row split where pdfminer's lines would part: at far gaps, steps back or a change of baseline."""
    pieces = [[chunks[0]]]
    for previous, chunk in itertools.pairwise(chunks):
        size = max(previous.size, chunk.size, 1.0)
        top = min(previous.bottom + previous.size, chunk.bottom + chunk.size)
        shared = top - max(previous.bottom, chunk.bottom)
        if -size < chunk.x0 - previous.x1 < APART * size and shared > 0.5 * min(previous.size, chunk.size):
            pieces[-1].append(chunk)
        else:
            pieces.append([chunk])
    return pieces


def _line(chunks: list[Chunk]) -> Line:
    sizes = sorted(itertools.chain.from_iterable([chunk.size] * chunk.letters for chunk in chunks)) or [0.0]
    lettered = [chunk for chunk in chunks if chunk.letters]
    return Line(
        clean("".join(chunk.text for chunk in chunks)),
        min(chunk.x0 for chunk in chunks),
        min(chunk.bottom for chunk in chunks),
        max(chunk.x1 for chunk in chunks),
        max(chunk.bottom + chunk.size for chunk in chunks),
        size=sizes[len(sizes) // 2],
        right=0.0,  # set by _box
        bold=bool(lettered) and all(chunk.bold for chunk in lettered),
    )


def _has_gutter(chunks: list[Chunk]) -> bool:
    """Whether text stands on both sides of a gap: two columns' lines that pdfium read as one."""
    stretches = [[chunks[0]]]
    for previous, chunk in itertools.pairwise(chunks):
        if chunk.x0 - previous.x1 > GUTTER * max(previous.size, chunk.size):
            stretches.append([])
        stretches[-1].append(chunk)
    wide = [part[-1].x1 - part[0].x0 > WIDE * max(chunk.size for chunk in part) for part in stretches]
    return any(left and right for left, right in itertools.pairwise(wide))


def _in(line: Line, tables: list[Table]) -> bool:
    return any(table.holds(line) for table in tables)


def _stacked(lines: list[Line]) -> bool:
    """Whether no two lines share a stretch of height: one column, nothing beside it."""
    lowest = math.inf
    for line in sorted(lines, key=lambda line: -line.y1):
        if line.y1 - lowest > SIDE_BY_SIDE * max(line.y1 - line.y0, 1.0):
            return False
        lowest = min(lowest, line.y0)
    return True


def _columns(lines: list[Line]) -> bool:
    """Whether lines keep to either half of the text: columns, even ones whose lines share no height."""
    if not lines:
        return False
    middle = (min(line.x0 for line in lines) + max(line.x1 for line in lines)) / 2
    left = sum(line.x1 < middle for line in lines)
    right = sum(line.x0 > middle for line in lines)
    return min(left, right) >= MIN_COLUMN_LINES


def _box(lines: list[Line]) -> None:
    """Each line's `right`: the right edge of the layout box pdfminer would put it in.

    pdfminer boxes together lines less than half a line height apart that are alike in height and aligned
    left, right or centre (LTTextLineHorizontal.find_neighbors); `lines` run top to bottom.
    """
    boxes = list(range(len(lines)))

    def find(index: int) -> int:
        while boxes[index] != index:
            index = boxes[index]
        return index

    reach = LINE_MARGIN * max((line.y1 - line.y0 for line in lines), default=0.0)
    for first, upper in enumerate(lines):
        for second in range(first + 1, len(lines)):
            lower = lines[second]
            if lower.y1 < upper.y0 - reach:
                break
            if _neighbours(upper, lower) or _neighbours(lower, upper):
                boxes[find(second)] = find(first)
    rights: dict[int, float] = {}
    for index, line in enumerate(lines):
        rights[find(index)] = max(rights.get(find(index), -math.inf), line.x1)
    for index, line in enumerate(lines):
        line.right = rights[find(index)]


def _neighbours(line: Line, other: Line) -> bool:
    reach = LINE_MARGIN * (line.y1 - line.y0)
    near = line.y0 - reach < other.y1 and other.y0 < line.y1 + reach
    overlaps = near and other.x0 < line.x1 and line.x0 < other.x1
    centres = abs(other.x0 + other.x1 - line.x0 - line.x1) / 2
    aligned = min(abs(other.x0 - line.x0), abs(other.x1 - line.x1), centres) <= reach
    return overlaps and aligned and abs((other.y1 - other.y0) - (line.y1 - line.y0)) <= reach


def has_rules(page: Any) -> bool:
    """Whether the page has the three horizontal and three vertical rules a ruled table needs at least.

    Text underlines and background boxes do not count: they would send every page through pdfplumber.
    Measured like pdfminer measures its curves: each subpath on its own, by its points on the page.
    """
    rules: Counter[str] = Counter()
    page_objects = (pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject)
    for left, bottom, right, top in _subpaths(page.raw, *page_objects, PdfMatrix(), MAX_FORM_DEPTH):
        if min(right - left, top - bottom) < 2:
            rules["-" if top - bottom < 2 else "|"] += 1
            if rules["-"] >= 3 and rules["|"] >= 3:
                return True
    return False


def _subpaths(parent: Any, count: Any, get: Any, matrix: PdfMatrix, depth: int) -> Iterator[Box]:
    """The bounds of every subpath drawn in `parent`, a page or a form, in page space."""
    form_objects = (pdfium_c.FPDFFormObj_CountObjects, pdfium_c.FPDFFormObj_GetObject)
    for index in range(count(parent)):
        item = get(parent, index)
        kind = pdfium_c.FPDFPageObj_GetType(item)
        if kind not in (pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM):
            continue
        own = pdfium_c.FS_MATRIX()
        pdfium_c.FPDFPageObj_GetMatrix(item, own)
        placed = PdfMatrix.from_raw(own).multiply(matrix)
        if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            yield from _path(item, placed)
        elif depth > 1:
            yield from _subpaths(item, *form_objects, placed, depth - 1)


def _path(path: Any, matrix: PdfMatrix) -> Iterator[Box]:
    points: list[tuple[float, float]] = []
    x, y = ctypes.c_float(), ctypes.c_float()
    curve = 0  # position within a Bézier segment's three points
    for index in range(pdfium_c.FPDFPath_CountSegments(path)):
        segment = pdfium_c.FPDFPath_GetPathSegment(path, index)
        kind = pdfium_c.FPDFPathSegment_GetType(segment)
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO and points:
            yield _bounds(points)
            points = []
        curve = (curve + 1) % 3 if kind == pdfium_c.FPDF_SEGMENT_BEZIERTO else 0
        if curve in (1, 2):
            continue  # control points: pdfminer measures a curve by its end points
        pdfium_c.FPDFPathSegment_GetPoint(segment, x, y)
        points.append(matrix.on_point(x.value, y.value))
    if points:
        yield _bounds(points)


def _bounds(points: list[tuple[float, float]]) -> Box:
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return min(xs), min(ys), max(xs), max(ys)
