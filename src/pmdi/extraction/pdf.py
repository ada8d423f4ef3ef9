"""PDF: the text layer in reading order, ruled tables as cells, and OCR for pages that are scans.

pypdfium2 opens the file, checks each page's text layer, renders scans and stands in when pdfminer fails.
A page whose lines stack in one column is read from pdfium's own lines (pdf_fast), in C; pdfminer.six's
layout analysis, ten times slower, orders the text of the other pages (columns, boxes). pdfplumber finds
ruled tables, only on pages with enough ruling lines, because it parses the page a second time.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LAParams, LTPage
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from PIL import Image

from pmdi.documents.sniff import PDF
from pmdi.extraction.base import ExtractOptions, register
from pmdi.extraction.errors import CorruptDocument, EncryptedDocument
from pmdi.extraction.model import BlockKind, ExtractedDocument, Metadata, TextBuilder
from pmdi.extraction.ocr import OcrProvider, OcrUnavailable, get_ocr
from pmdi.extraction.pdf_fast import fast_lines, has_rules
from pmdi.extraction.pdf_layout import (
    Line,
    Table,
    body_size,
    emit,
    group_lines,
    lines_from_layout,
    lines_from_text,
    plumber_tables,
    with_tables,
)

# Text inside form XObjects is analysed too: some generators put whole pages there.
LAYOUT = LAParams(all_texts=True)
# Past this much layout analysis the remaining pages use pdfium's plain text, to finish within the deadline.
LAYOUT_BUDGET_SECONDS = 40.0
MIN_IMAGE_SHARE = 0.05  # a textless page is a scan when images cover at least this share of it
PLACEHOLDERS = {"", "untitled", "anonymous", "unspecified", "unknown"}  # generator defaults, not metadata
_PDF_DATE = re.compile(r"(?:D:)?(\d{4})(\d\d)?(\d\d)?(\d\d)?(\d\d)?(\d\d)?\s*([Zz+-])?(\d\d)?'?(\d\d)?")


@register
class PdfExtractor:
    name = "pdf"
    media_types = frozenset({PDF})

    def score(self, path: Path, media_type: str) -> float:
        return 1.0 if media_type == PDF else 0.0

    def extract(self, path: Path, media_type: str, options: ExtractOptions) -> ExtractedDocument:
        return PdfRun(path, options).run()


class PdfRun:
    """One extraction: the open document, the text so far, and the OCR and table helpers it needed."""

    def __init__(self, path: Path, options: ExtractOptions) -> None:
        self.path, self.options = path, options
        self.pdf: Any = _open(path)
        self.metadata = _metadata(self.pdf)
        self.builder = TextBuilder(max_chars=options.max_chars)
        self.confidences: list[float] = []
        self.plain_pages: list[int] = []
        self.layouts = Layouts(path)
        self._plumber: Any = None
        self._ocr: OcrProvider | None = None
        self._ocr_error: OcrUnavailable | None = None
        self._ocr_loaded = False

    def run(self) -> ExtractedDocument:
        try:
            count = len(self.pdf)
            if count == 0:
                raise CorruptDocument("The PDF has no pages.")
            if count > self.options.max_pages:
                self.metadata.truncated = True
                self.metadata.warnings.append(
                    f"Only the first {self.options.max_pages} of {count} pages were read."
                )
            for index in range(min(count, self.options.max_pages)):
                if self.builder.truncated:
                    break
                page = self.pdf[index]
                try:
                    self._page(index, page)
                finally:
                    page.close()
        finally:
            self.pdf.close()
            self.layouts.close()
            if self._plumber is not None:
                self._plumber.close()
        return self._finish()

    def _page(self, index: int, page: Any) -> None:
        textpage = page.get_textpage()
        try:
            text = str(textpage.get_text_range())
            characters = len("".join(text.split()))
            if characters < self.options.min_text_chars_per_page and _is_scan(page):
                self._ocr_page(index, page)
                return
            self.builder.start_page()
            tables = self._tables(index) if has_rules(page) else []
            lines = _fast_lines(page, textpage, text, tables)
        finally:
            textpage.close()
        if lines is None or _short(lines, characters):
            lines = self._layout_lines(index, text, characters)
        if lines is not None:
            emit(group_lines(with_tables(lines, tables), body_size(lines, tables)), self.builder)

    def _layout_lines(self, index: int, text: str, characters: int) -> list[Line] | None:
        """pdfminer's lines for the page; None when pdfium's plain text had to stand in for them."""
        layout = self.layouts.get(index)
        lines = lines_from_layout(layout) if layout is not None else []
        if not _short(lines, characters):
            return lines
        # No layout, or pdfminer cannot decode the fonts (cid codes): pdfium's text stands in.
        self.plain_pages.append(index + 1)
        emit(group_lines(lines_from_text(text), 10.0), self.builder)
        return None

    def _ocr_page(self, index: int, page: Any) -> None:
        provider, result = self._provider(), None
        if provider is not None:
            image = _render(page, self.options.ocr_dpi, self.options.max_image_pixels)
            try:
                result = provider.recognize(image, self.options.ocr_language)
            except OcrUnavailable as exc:
                self._ocr, self._ocr_error = None, exc
        if result is None:
            self.builder.start_page()
            why = "OCR is unavailable" if self._ocr_error else "OCR is switched off"
            self.metadata.warnings.append(f"Page {index + 1} is a scan and was not read: {why}.")
            return
        self.confidences.append(result.confidence)
        self.builder.start_page(ocr=True, confidence=result.confidence)
        for paragraph in result.paragraphs:
            self.builder.add(BlockKind.PARAGRAPH, paragraph)

    def _provider(self) -> OcrProvider | None:
        if not self._ocr_loaded:
            self._ocr_loaded = True
            try:
                self._ocr = get_ocr(self.options.ocr_provider)
            except OcrUnavailable as exc:
                self._ocr_error = exc
        return self._ocr

    def _tables(self, index: int) -> list[Table]:
        import pdfplumber

        try:
            self._plumber = self._plumber or pdfplumber.open(self.path)
            page = self._plumber.pages[index]
            tables: list[Table] = plumber_tables(page)
            page.close()
        except Exception:  # pdfplumber fails in many ways on odd drawings; the text still counts
            self.metadata.warnings.append(f"Tables on page {index + 1} could not be read as cells.")
            return []
        return tables

    def _finish(self) -> ExtractedDocument:
        if self._ocr_error is not None:
            if not self.builder.blocks:
                raise self._ocr_error
            self.metadata.warnings.append(str(self._ocr_error))
        if self.confidences:
            self.metadata.ocr_used = True
            self.metadata.ocr_confidence = round(sum(self.confidences) / len(self.confidences), 1)
        if self.plain_pages:
            self.metadata.warnings.append(f"Reading order is approximate on pages {self.plain_pages}.")
        if self.builder.truncated:
            self.metadata.warnings.append(f"The text was cut at {self.options.max_chars:,} characters.")
        return self.builder.build(self.metadata)


def _open(path: Path) -> Any:
    import pypdfium2

    try:
        return pypdfium2.PdfDocument(path)
    except pypdfium2.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == pypdfium2.raw.FPDF_ERR_PASSWORD:
            raise EncryptedDocument("The PDF is password-protected.") from exc
        if code == pypdfium2.raw.FPDF_ERR_SECURITY:
            raise EncryptedDocument("The PDF is encrypted with an unsupported scheme.") from exc
        raise CorruptDocument("The PDF is damaged or incomplete and cannot be read.") from exc


def _metadata(pdf: Any) -> Metadata:
    import pypdfium2.raw as pdfium_c

    info: dict[str, str] = pdf.get_metadata_dict(skip_empty=True)
    return Metadata(
        title=_meaningful(info.get("Title")),
        author=_meaningful(info.get("Author")),
        created=pdf_date(info.get("CreationDate", "")),
        encrypted=pdfium_c.FPDF_GetSecurityHandlerRevision(pdf.raw) != -1,
    )


def _meaningful(value: str | None) -> str | None:
    value = " ".join((value or "").split())
    return None if value.strip("()").lower() in PLACEHOLDERS else value


def pdf_date(value: str) -> str | None:
    """A PDF date (D:YYYYMMDDHHmmSS+HH'mm') as ISO 8601, or None when it is not one."""
    match = _PDF_DATE.match(value.strip())
    if match is None:
        return None
    fields = zip(match.groups()[:6], (0, 1, 1, 0, 0, 0), strict=True)
    year, month, day, hour, minute, second = (int(part) if part else default for part, default in fields)
    sign, hours, minutes = match.groups()[6:]
    offset = timedelta(hours=int(hours or 0), minutes=int(minutes or 0))
    try:
        zone = {None: None, "+": timezone(offset), "-": timezone(-offset)}.get(sign, UTC)
        return datetime(year, month, day, hour, minute, second, tzinfo=zone).isoformat()
    except ValueError:
        return None


class Layouts:
    """pdfminer's layout of the pages that need one, made when asked for, in page order.

    The file is parsed only once a page needs it, and the pages in between are passed over uninterpreted.
    None once pdfminer has failed or the time budget is spent.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.deadline = time.monotonic() + LAYOUT_BUDGET_SECONDS
        resources = PDFResourceManager(caching=True)
        self.device = PDFPageAggregator(resources, laparams=LAYOUT)
        self.interpreter = PDFPageInterpreter(resources, self.device)
        self.files = ExitStack()
        self.pages: Iterator[PDFPage] | None = None
        self.passed = 0  # pages taken from `pages` so far
        self.failed = False

    def get(self, index: int) -> LTPage | None:
        if self.failed or time.monotonic() >= self.deadline:
            return None
        try:
            if self.pages is None:
                self.pages = PDFPage.get_pages(self.files.enter_context(self.path.open("rb")))
            page = None
            while self.passed <= index:
                page, self.passed = next(self.pages, None), self.passed + 1
            if page is None:
                return None
            self.interpreter.process_page(page)
            return self.device.get_result()
        except Exception:  # pdfminer raises anything on damaged files; pdfium's text stands in
            self.failed = True
            return None

    def close(self) -> None:
        self.files.close()


def _fast_lines(page: Any, textpage: Any, text: str, tables: list[Table]) -> list[Line] | None:
    if page.get_rotation() != 0:
        return None  # pdfminer turns the page upright; pdfium's coordinates stay as drawn
    # pdfium's coordinates are the file's; pdfminer's and the tables' start at the media box corner.
    left, bottom, _, _ = page.get_mediabox()
    return fast_lines(textpage, text, (left, bottom), tables)


def _short(lines: list[Line], characters: int) -> bool:
    """Whether the lines miss over half of the page's text, e.g. in fonts pdfminer cannot decode."""
    return sum(len(line.text) for line in lines) < characters / 2


def _is_scan(page: Any) -> bool:
    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    covered = 0.0
    for image in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):
        left, bottom, right, top = image.get_bounds()
        covered += max(0.0, right - left) * max(0.0, top - bottom)
    return bool(covered >= MIN_IMAGE_SHARE * width * height)


def _render(page: Any, dpi: int, max_pixels: int) -> Image.Image:
    width, height = page.get_size()
    # A huge page must not become a pixel bomb: the resolution yields to the pixel limit.
    scale = min(dpi / 72, math.sqrt(max_pixels / max(width * height, 1.0)))
    image: Image.Image = page.render(scale=scale, grayscale=True).to_pil()
    return image
