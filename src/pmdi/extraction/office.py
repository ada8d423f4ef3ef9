"""DOCX, XLSX, PPTX and CSV: text in reading order, headings and lists from styles, tables as cells.

Office archives pass `zipguard.check_archive` before python-docx, openpyxl or python-pptx opens them, and
whatever those libraries raise on a damaged file becomes a CorruptDocument.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

import docx
import pptx
from docx.opc.exceptions import PackageNotFoundError as DocxPackageNotFound
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from openpyxl.utils.exceptions import InvalidFileException
from pptx.enum.shapes import PP_PLACEHOLDER as PH
from pptx.exc import PackageNotFoundError as PptxPackageNotFound
from pptx.shapes.autoshape import Shape
from pptx.shapes.base import BaseShape
from pptx.shapes.graphfrm import GraphicFrame
from pptx.shapes.group import GroupShape
from pptx.slide import Slide
from pptx.table import Table as PptxTable
from pptx.text.text import _Paragraph as PptxParagraph

from pmdi.documents.sniff import DOCX, PPTX
from pmdi.extraction.base import ByMediaType, ExtractOptions, register
from pmdi.extraction.errors import CorruptDocument
from pmdi.extraction.model import BlockKind, ExtractedDocument, Metadata, TextBuilder
from pmdi.extraction.zipguard import ZIP_ERRORS, check_archive

# What the parsing libraries raise on damaged input (lxml's and ElementTree's parse errors are SyntaxErrors).
_PARSE_ERRORS = (KeyError, IndexError, TypeError, AttributeError, SyntaxError)
LIBRARY_ERRORS = (*ZIP_ERRORS, *_PARSE_ERRORS, DocxPackageNotFound, PptxPackageNotFound, InvalidFileException)
MAX_SPAN = 64  # Word tables have at most 63 columns; a larger span is damage, or an attempt to fill memory
Kind = tuple[BlockKind, int | None]
_PLAIN: Kind = (BlockKind.PARAGRAPH, None)
_HEADING_STYLE = re.compile(r"heading\s*([1-9])")
_TRAILING_DIGIT = re.compile(r"([1-9])$")
_TITLES = {PH.TITLE, PH.CENTER_TITLE, PH.VERTICAL_TITLE}
_BODIES = {PH.BODY, PH.OBJECT, PH.VERTICAL_BODY, PH.VERTICAL_OBJECT}


@contextmanager
def library_errors(what: str) -> Iterator[None]:
    try:
        yield
    except LIBRARY_ERRORS as exc:
        raise CorruptDocument(f"The {what} is damaged or incomplete and cannot be read.") from exc


def core_metadata(title: str | None, author: str | None, created: datetime | None) -> Metadata:
    return Metadata(
        title=(title or "").strip() or None,
        author=(author or "").strip() or None,
        created=created.isoformat() if created else None,
    )


def keep_pages(count: int, options: ExtractOptions, metadata: Metadata, unit: str) -> int:
    if count > options.max_pages:
        metadata.truncated = True
        metadata.warnings.append(f"Only the first {options.max_pages} of {count} {unit} were read.")
    return min(count, options.max_pages)


@register
class DocxExtractor(ByMediaType):
    name = "docx"
    media_types = frozenset({DOCX})

    def extract(self, path: Path, media_type: str, options: ExtractOptions) -> ExtractedDocument:
        check_archive(path, options, "Word document")
        builder = TextBuilder(max_chars=options.max_chars)
        with library_errors("Word document"):
            document = docx.Document(str(path))
            props = document.core_properties
            metadata = core_metadata(props.title, props.author, props.created)
            # Headers and footers are skipped: they repeat the same boilerplate on every page.
            _WordBody(document.styles.element, builder, options.max_pages, metadata).write(
                document.element.body
            )
        return builder.build(metadata)


class _WordBody:
    """The main story in document order; a hard page break starts a new page, as Word has no stored pages."""

    def __init__(self, styles: BaseOxmlElement, builder: TextBuilder, max_pages: int, metadata: Metadata):
        self.styles = _style_kinds(styles)
        self.builder = builder
        self.max_pages = max_pages
        self.metadata = metadata
        self.full = False

    def write(self, body: BaseOxmlElement) -> None:
        self.builder.start_page()
        for element in _children(body, qn("w:p"), qn("w:tbl")):
            if element.tag == qn("w:tbl"):
                self.builder.add_table(_word_table(element), header=True)
            else:
                self._paragraph(element)
            if self.full:
                return

    def _paragraph(self, p: BaseOxmlElement) -> None:
        kind, level = self._kind(p)
        # A struck-through paragraph ("Book the venue", crossed out) is one a later document marks done.
        extra = {"meta": {"struck": True}} if _struck(p) else {}
        for index, segment in enumerate(_segments(p)):
            if index and not self._next_page():
                return
            self.builder.add(kind, segment, level=level, **extra)

    def _next_page(self) -> bool:
        if len(self.builder.pages) >= self.max_pages:
            self.full = self.metadata.truncated = True
            self.metadata.warnings.append(f"Only the first {self.max_pages} pages were read.")
            return False
        self.builder.start_page()
        return True

    def _kind(self, p: BaseOxmlElement) -> Kind:
        by_style = self.styles.get(_val(p, "w:pPr", "w:pStyle"), _PLAIN)
        if by_style[0] == BlockKind.HEADING:  # numbered headings carry numbering too
            return by_style
        num_id = _val(p, "w:pPr", "w:numPr", "w:numId")
        if num_id == "0":  # numbering switched off on this paragraph
            return _PLAIN
        if num_id:
            ilvl = _val(p, "w:pPr", "w:numPr", "w:ilvl")
            return BlockKind.LIST_ITEM, min(int(ilvl), 8) + 1 if ilvl.isdecimal() else 1
        return by_style


def _struck(p: BaseOxmlElement) -> bool:
    """Every run with text is struck through (single or double strike set directly on the run)."""
    runs = [r for r in p.iter(qn("w:r")) if r.find(qn("w:t")) is not None]
    return bool(runs) and all(_switched_on(r, "w:strike") or _switched_on(r, "w:dstrike") for r in runs)


def _switched_on(run: BaseOxmlElement, tag: str) -> bool:
    flag = run.find(f"{qn('w:rPr')}/{qn(tag)}")
    return flag is not None and flag.get(qn("w:val"), "true") not in {"0", "false"}


def _val(element: BaseOxmlElement | None, *path: str) -> str:
    """The w:val of the element at `path`, or "". Not XPath: compiling one per call dominated the time."""
    for tag in path:
        element = element.find(qn(tag)) if element is not None else None
    return element.get(qn("w:val"), "") if element is not None else ""


def _style_kinds(styles: BaseOxmlElement) -> dict[str, Kind]:
    by_id = {
        s.get(qn("w:styleId")): s
        for s in styles.iterchildren(qn("w:style"))
        if s.get(qn("w:type")) == "paragraph"
    }
    kinds = {style_id: _style_kind(style_id, by_id) for style_id in by_id}
    return {style_id: kind for style_id, kind in kinds.items() if kind is not None}


def _style_kind(style_id: str, by_id: dict[str, Any]) -> Kind | None:
    """Follows `basedOn`, so a custom style built on Heading 2 is still a heading."""
    seen: set[str] = set()
    while style_id in by_id and style_id not in seen:  # damaged files can loop
        seen.add(style_id)
        style = by_id[style_id]
        name = _val(style, "w:name").lower()  # built-in names are stored in English
        outline = _val(style, "w:pPr", "w:outlineLvl")
        if name == "title":
            return BlockKind.HEADING, 1
        if heading := _HEADING_STYLE.fullmatch(name):
            return BlockKind.HEADING, int(heading[1])
        if outline.isdecimal() and int(outline) < 9:  # level 9 is body text
            return BlockKind.HEADING, int(outline) + 1
        if name.startswith("list") or style.find(f"{qn('w:pPr')}/{qn('w:numPr')}") is not None:
            digit = _TRAILING_DIGIT.search(name)
            return BlockKind.LIST_ITEM, int(digit[1]) if digit else 1
        style_id = _val(style, "w:basedOn")
    return None


def _children(element: BaseOxmlElement, *tags: str) -> Iterator[BaseOxmlElement]:
    """Children with one of `tags`, also inside content controls, which python-docx does not look into."""
    for child in element.iterchildren():
        if child.tag in tags:
            yield child
        elif child.tag == qn("w:sdt"):
            for content in child.iterchildren(qn("w:sdtContent")):
                yield from _children(content, *tags)
        elif child.tag == qn("w:customXml"):
            yield from _children(child, *tags)


# Text boxes are separate stories anchored in runs (Word writes each twice, for fallback); tracked
# deletions are no longer text.
_HIDDEN = (qn("w:txbxContent"), qn("w:del"), qn("w:moveFrom"))
_RUN_TEXT = tuple(qn(tag) for tag in ("w:t", "w:tab", "w:br", "w:cr", "w:noBreakHyphen", "w:ptab"))


def _segments(p: BaseOxmlElement) -> list[str]:
    """The paragraph's text split at hard page breaks, including tracked insertions, fields and content
    controls, which python-docx's `Paragraph.text` leaves out."""
    segments: list[list[str]] = [[]]
    for run in p.iter(qn("w:r")):
        if next(run.iterancestors(*_HIDDEN), None) is not None:
            continue
        for item in run.iterchildren(*_RUN_TEXT):
            if item.tag == qn("w:br") and item.get(qn("w:type")) == "page":
                segments.append([])
            else:
                segments[-1].append(str(item))
    return ["".join(segment) for segment in segments]


def _word_table(tbl: BaseOxmlElement) -> list[list[str]]:
    rows = []
    for tr in _children(tbl, qn("w:tr")):
        row = []
        for tc in _children(tr, qn("w:tc")):
            row.append("\n".join("".join(_segments(p)) for p in tc.iter(qn("w:p"))))
            span = _val(tc, "w:tcPr", "w:gridSpan")
            # A merged cell's text appears once; blanks keep the columns after it under their headers.
            row.extend([""] * (min(int(span), MAX_SPAN) - 1 if span.isdecimal() else 0))
        rows.append(row)
    return rows


@register
class PptxExtractor(ByMediaType):
    name = "pptx"
    media_types = frozenset({PPTX})

    def extract(self, path: Path, media_type: str, options: ExtractOptions) -> ExtractedDocument:
        check_archive(path, options, "PowerPoint presentation")
        builder = TextBuilder(max_chars=options.max_chars)
        with library_errors("PowerPoint presentation"):
            presentation = pptx.Presentation(str(path))
            props = presentation.core_properties
            metadata = core_metadata(props.title, props.author, props.created)
            slides = presentation.slides
            for slide in islice(slides, keep_pages(len(slides), options, metadata, "slides")):
                _write_slide(slide, builder)
        return builder.build(metadata)


def _write_slide(slide: Slide, builder: TextBuilder) -> None:
    shapes = list(slide.shapes)
    titles = [shape for shape in shapes if _placeholder_in(shape, _TITLES)]
    # One line, as it is also the page label.
    title = " ".join(" ".join(shape.text_frame.text.split()) for shape in titles if isinstance(shape, Shape))
    builder.start_page(label=title or None)
    builder.add(BlockKind.HEADING, title, level=1)
    for shape in _reading_order(shape for shape in shapes if shape not in titles):
        _write_shape(shape, builder)
    notes = slide.notes_slide.notes_text_frame if slide.has_notes_slide else None
    for paragraph in notes.paragraphs if notes is not None else ():
        builder.add(BlockKind.PARAGRAPH, _line_breaks(paragraph.text), meta={"notes": True})


def _write_shape(shape: BaseShape, builder: TextBuilder) -> None:
    if isinstance(shape, GroupShape):
        for child in _reading_order(shape.shapes):
            _write_shape(child, builder)
    elif isinstance(shape, GraphicFrame) and shape.has_table:
        builder.add_table(_slide_table(shape.table), header=shape.table.first_row)
    elif isinstance(shape, Shape) and shape.has_text_frame:
        bulleted = _placeholder_in(shape, _BODIES)  # body placeholders bullet every paragraph by default
        for paragraph in shape.text_frame.paragraphs:
            kind, level = _slide_paragraph_kind(paragraph, bulleted)
            builder.add(kind, _line_breaks(paragraph.text), level=level)


def _reading_order(shapes: Iterable[BaseShape]) -> list[BaseShape]:
    """Top to bottom, then left to right; shapes without a position keep their stacking order, last."""
    return sorted(shapes, key=lambda shape: (shape.top is None, shape.top or 0, shape.left or 0))


def _placeholder_in(shape: BaseShape, types: set[PH]) -> bool:
    return shape.is_placeholder and shape.placeholder_format.type in types


def _slide_paragraph_kind(paragraph: PptxParagraph, bulleted: bool) -> Kind:
    bullet = paragraph._p.xpath("a:pPr/a:buChar | a:pPr/a:buAutoNum | a:pPr/a:buBlip")
    no_bullet = paragraph._p.xpath("a:pPr/a:buNone")
    if paragraph.level > 0 or ((bullet or bulleted) and not no_bullet):
        return BlockKind.LIST_ITEM, paragraph.level + 1
    return _PLAIN


def _slide_table(table: PptxTable) -> list[list[str]]:
    # Cells covered by a merge read as blanks, so later columns stay under their headers.
    return [["" if cell.is_spanned else _line_breaks(cell.text) for cell in row.cells] for row in table.rows]


def _line_breaks(text: str) -> str:
    return text.replace("\v", "\n")  # python-pptx renders a soft line break as a vertical tab
