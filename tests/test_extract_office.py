"""DOCX, XLSX, PPTX and CSV extraction on files generated with the same libraries, plus hostile archives."""

from __future__ import annotations

import io
import re
import time
import zipfile
from datetime import date, datetime
from pathlib import Path

import docx
import openpyxl
import pptx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from pptx.util import Inches

from pmdi.documents.sniff import CSV, DOCX, PPTX, XLSX
from pmdi.extraction.base import ExtractOptions
from pmdi.extraction.errors import CorruptDocument, LimitExceeded
from pmdi.extraction.model import BlockKind, ExtractedDocument
from pmdi.extraction.office import DocxExtractor, PptxExtractor
from pmdi.extraction.spreadsheet import CsvExtractor, XlsxExtractor
from tests.extract_support import check_offsets

MB = 1024 * 1024
OPTIONS = ExtractOptions()


def kinds(doc: ExtractedDocument) -> list[tuple[BlockKind, str, int | None, int]]:
    return [(block.kind, block.text, block.level, block.page) for block in doc.blocks]


def word_file(path: Path) -> Path:
    document = docx.Document()
    props = document.core_properties
    props.title, props.author, props.created = "Delivery plan", "Ada Lovelace", datetime(2024, 3, 1, 9, 30)
    document.add_heading("Delivery plan", level=0)
    document.add_heading("Scope", level=1)
    document.add_paragraph("The vendor delivers the portal.")
    document.add_paragraph("Kick-off", style="List Bullet")
    document.add_paragraph("Go-live", style="List Bullet 2")
    numbered = document.add_paragraph("Sign-off")
    numbered._p.get_or_add_pPr().append(
        parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="1"/><w:numId w:val="3"/></w:numPr>')
    )
    cells = [["Task", "Owner", "Due"], ["Design", "Bo", "May"], ["Build", "Cy", ""]]
    table = document.add_table(rows=3, cols=3)
    for row, values in zip(table.rows, cells, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    table.cell(2, 1).merge(table.cell(2, 2))
    tracked = document.add_paragraph("After the table, ")
    tracked._p.append(
        parse_xml(f'<w:ins {nsdecls("w")} w:id="1" w:author="Bo"><w:r><w:t>as revised.</w:t></w:r></w:ins>')
    )
    document.add_page_break()
    document.add_paragraph("Appendix text.")
    document.save(str(path))
    return path


def test_docx_keeps_document_order_kinds_tables_pages_and_properties(tmp_path: Path) -> None:
    doc = DocxExtractor().extract(word_file(tmp_path / "plan.docx"), DOCX, OPTIONS)

    check_offsets(doc)
    assert kinds(doc) == [
        (BlockKind.HEADING, "Delivery plan", 1, 1),
        (BlockKind.HEADING, "Scope", 1, 1),
        (BlockKind.PARAGRAPH, "The vendor delivers the portal.", None, 1),
        (BlockKind.LIST_ITEM, "Kick-off", 1, 1),
        (BlockKind.LIST_ITEM, "Go-live", 2, 1),
        (BlockKind.LIST_ITEM, "Sign-off", 2, 1),
        (BlockKind.TABLE, doc.blocks[6].text, None, 1),
        (BlockKind.PARAGRAPH, "After the table, as revised.", None, 1),
        (BlockKind.PARAGRAPH, "Appendix text.", None, 2),
    ]
    table = doc.blocks[6]
    assert table.header
    assert table.rows == [["Task", "Owner", "Due"], ["Design", "Bo", "May"], ["Build", "Cy", ""]]
    assert [page.number for page in doc.pages] == [1, 2]
    meta = doc.metadata
    assert (meta.title, meta.author, meta.page_count) == ("Delivery plan", "Ada Lovelace", 2)
    assert meta.created is not None
    assert meta.created.startswith("2024-03-01T09:30")


def test_docx_beyond_max_pages_is_truncated_with_a_warning(tmp_path: Path) -> None:
    doc = DocxExtractor().extract(word_file(tmp_path / "plan.docx"), DOCX, ExtractOptions(max_pages=1))

    assert len(doc.pages) == 1
    assert doc.blocks[-1].text == "After the table, as revised."
    assert doc.metadata.truncated
    assert doc.metadata.warnings == ["Only the first 1 pages were read."]


def workbook_file(path: Path, sheets: int = 2) -> Path:
    workbook = openpyxl.Workbook()
    workbook.properties.title, workbook.properties.creator = "Risk register", "Bo"
    risks = workbook.active
    assert risks is not None
    risks.title = "Risks"
    risks.append(["ID", "Risk", "Due", "Cost"])
    risks.append([1, "Vendor late", date(2024, 5, 1), 1250.0])
    risks.append([2, "Budget cut", datetime(2024, 6, 1, 14, 30), 99.5])
    owners = workbook.create_sheet("Owners")
    owners["B2"], owners["C2"], owners["B3"], owners["C3"] = "Name", "Role", "Cy", "Sponsor"
    for number in range(3, sheets + 1):
        workbook.create_sheet(f"Extra {number}")["A1"] = f"sheet {number}"
    workbook.save(path)
    return path


def test_xlsx_sheets_become_labelled_pages_of_tables(tmp_path: Path) -> None:
    # No Excel extension: stored uploads are not named like the original.
    doc = XlsxExtractor().extract(workbook_file(tmp_path / "upload.bin"), XLSX, OPTIONS)

    check_offsets(doc)
    assert [(page.number, page.label) for page in doc.pages] == [(1, "Risks"), (2, "Owners")]
    risks, owners = doc.blocks
    assert (risks.kind, risks.page, risks.header, risks.meta) == (
        BlockKind.TABLE,
        1,
        True,
        {"sheet": "Risks"},
    )
    assert risks.rows == [
        ["ID", "Risk", "Due", "Cost"],
        ["1", "Vendor late", "2024-05-01", "1250"],
        ["2", "Budget cut", "2024-06-01 14:30:00", "99.5"],
    ]
    assert owners.rows == [["Name", "Role"], ["Cy", "Sponsor"]]  # the empty column A is trimmed
    assert (owners.page, owners.meta) == (2, {"sheet": "Owners"})
    assert (doc.metadata.title, doc.metadata.author) == ("Risk register", "Bo")
    assert not doc.metadata.truncated


def test_xlsx_beyond_max_pages_is_truncated_with_a_warning(tmp_path: Path) -> None:
    path = workbook_file(tmp_path / "many.xlsx", sheets=4)
    doc = XlsxExtractor().extract(path, XLSX, ExtractOptions(max_pages=2))

    assert [page.label for page in doc.pages] == ["Risks", "Owners"]
    assert doc.metadata.truncated
    assert doc.metadata.warnings == ["Only the first 2 of 4 sheets were read."]


def test_xlsx_rows_stop_before_the_text_limit_cuts_a_row(tmp_path: Path) -> None:
    doc = XlsxExtractor().extract(workbook_file(tmp_path / "w.xlsx"), XLSX, ExtractOptions(max_chars=60))

    check_offsets(doc)
    assert doc.blocks[0].rows == [["ID", "Risk", "Due", "Cost"], ["1", "Vendor late", "2024-05-01", "1250"]]
    assert doc.metadata.truncated


def test_xlsx_with_hostile_dimensions_reads_only_real_cells(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for number in range(2_000):
        sheet.append([f"Task {number}", number])
    workbook.save(tmp_path / "plain.xlsx")
    path = tmp_path / "huge.xlsx"
    with zipfile.ZipFile(tmp_path / "plain.xlsx") as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":  # claim every cell Excel allows
                content = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', content)
            target.writestr(item, content)
    started = time.monotonic()
    doc = XlsxExtractor().extract(path, XLSX, OPTIONS)

    # Padded to 16,384 columns, these 2,000 rows took 6 s; only the real cells take 0.1 s.
    assert time.monotonic() - started < 2
    rows = doc.blocks[0].rows
    assert rows is not None
    assert (len(rows), rows[0], rows[-1]) == (2_000, ["Task 0", "0"], ["Task 1999", "1999"])


@pytest.mark.parametrize(
    ("content", "rows"),
    [
        (
            "Name;Stadt;Betrag\r\nMüller;Köln;12,50\r\nSchäfer;Düsseldorf;3,00\r\n".encode("cp1252"),
            [["Name", "Stadt", "Betrag"], ["Müller", "Köln", "12,50"], ["Schäfer", "Düsseldorf", "3,00"]],
        ),
        (
            '\ufeffID,Task,Note\n1,Plan,"scope, budget"\n2,Build,"two\nlines"\n'.encode(),
            [["ID", "Task", "Note"], ["1", "Plan", "scope, budget"], ["2", "Build", "two lines"]],
        ),
        ("Owner\tDue\nBo\t2024-05-01\n".encode("utf-16"), [["Owner", "Due"], ["Bo", "2024-05-01"]]),
    ],
    ids=["cp1252-semicolon", "utf8-bom-quoted", "utf16-tab"],
)
def test_csv_encoding_and_delimiter_are_detected(
    tmp_path: Path, content: bytes, rows: list[list[str]]
) -> None:
    path = tmp_path / "table.csv"
    path.write_bytes(content)
    doc = CsvExtractor().extract(path, CSV, OPTIONS)

    check_offsets(doc)
    [table] = doc.blocks
    assert (table.kind, table.page, table.header, table.rows) == (BlockKind.TABLE, 1, True, rows)
    assert len(doc.pages) == 1
    assert not doc.text.startswith("\ufeff")


def test_empty_csv_is_an_empty_document_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"\r\n")
    doc = CsvExtractor().extract(path, CSV, OPTIONS)

    assert (doc.text, doc.blocks, len(doc.pages)) == ("", [], 1)
    assert doc.metadata.warnings == ["The CSV file is empty."]


def presentation_file(path: Path) -> Path:
    presentation = pptx.Presentation()
    presentation.core_properties.title, presentation.core_properties.author = "Roadmap 2024", "Cy"
    first = presentation.slides.add_slide(presentation.slide_layouts[1])  # title and content
    assert first.shapes.title is not None
    first.shapes.title.text = "Roadmap"
    body = first.placeholders[1].text_frame
    body.text = "Design"
    for text, level in [("Wireframes", 1), ("Build", 0)]:
        paragraph = body.add_paragraph()
        paragraph.text, paragraph.level = text, level
    first.notes_slide.notes_text_frame.text = "Remember the budget."

    second = presentation.slides.add_slide(presentation.slide_layouts[5])  # title only
    assert second.shapes.title is not None
    second.shapes.title.text = "Budget"
    # Added out of reading order: the footnote at the bottom first, then the table above it.
    group = second.shapes.add_group_shape()
    group.shapes.add_textbox(Inches(1), Inches(6), Inches(4), Inches(1)).text_frame.text = "Figures in EUR."
    table = second.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(6), Inches(2)).table
    for (row, column), text in {(0, 0): "Item", (0, 1): "Cost", (1, 0): "Licences", (1, 1): "40k"}.items():
        table.cell(row, column).text = text
    presentation.save(str(path))
    return path


def test_pptx_slides_are_pages_with_titles_lists_tables_and_notes(tmp_path: Path) -> None:
    doc = PptxExtractor().extract(presentation_file(tmp_path / "deck.pptx"), PPTX, OPTIONS)

    check_offsets(doc)
    assert [(page.number, page.label) for page in doc.pages] == [(1, "Roadmap"), (2, "Budget")]
    assert kinds(doc) == [
        (BlockKind.HEADING, "Roadmap", 1, 1),
        (BlockKind.LIST_ITEM, "Design", 1, 1),
        (BlockKind.LIST_ITEM, "Wireframes", 2, 1),
        (BlockKind.LIST_ITEM, "Build", 1, 1),
        (BlockKind.PARAGRAPH, "Remember the budget.", None, 1),
        (BlockKind.HEADING, "Budget", 1, 2),
        (BlockKind.TABLE, "Item | Cost\nLicences | 40k", None, 2),
        (BlockKind.PARAGRAPH, "Figures in EUR.", None, 2),
    ]
    assert doc.blocks[4].meta == {"notes": True}
    assert doc.blocks[6].rows == [["Item", "Cost"], ["Licences", "40k"]]
    assert (doc.metadata.title, doc.metadata.author) == ("Roadmap 2024", "Cy")


def zip_of(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def rewritten_docx(path: Path, parts: dict[str, bytes], zeros: int = 0, level: int | None = None) -> Path:
    """A real DOCX with parts replaced or added; `zeros` adds a part of that many zero bytes, streamed."""
    parts = dict(parts)
    with (
        zipfile.ZipFile(word_file(path.with_suffix(".src"))) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target,
    ):
        for item in source.infolist():
            target.writestr(item, parts.pop(item.filename, b"") or source.read(item.filename))
        for name, content in parts.items():
            target.writestr(name, content)
        if zeros:
            with target.open("word/media/padding.bin", "w", force_zip64=True) as part:
                for _ in range(zeros // MB):
                    part.write(bytes(MB))
    return path


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    + ']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    + "<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
)


def test_zip_bomb_is_refused_before_unpacking(tmp_path: Path) -> None:
    # Level 1 keeps the fixture quick; the part still compresses beyond 200 to 1.
    path = rewritten_docx(tmp_path / "bomb.docx", {}, zeros=300 * MB, level=1)
    started = time.monotonic()
    with pytest.raises(LimitExceeded, match=r"would unpack to 30\d MB, more than the limit of 256 MB\."):
        DocxExtractor().extract(path, DOCX, OPTIONS)
    assert time.monotonic() - started < 1


def test_highly_compressed_part_is_refused(tmp_path: Path) -> None:
    path = rewritten_docx(tmp_path / "ratio.docx", {}, zeros=20 * MB)
    with pytest.raises(LimitExceeded, match="zip bomb"):
        DocxExtractor().extract(path, DOCX, OPTIONS)


def test_archive_with_too_many_entries_is_refused(tmp_path: Path) -> None:
    path = rewritten_docx(tmp_path / "many.docx", {f"word/media/{n}.txt": b"x" for n in range(10_001)})
    with pytest.raises(LimitExceeded, match="more than the 10,000"):
        DocxExtractor().extract(path, DOCX, OPTIONS)


@pytest.mark.parametrize(
    ("part", "content"),
    [
        ("word/document.xml", BILLION_LAUGHS.encode()),
        ("word/document.xml", BILLION_LAUGHS.replace('"1.0"?>', '"1.0"?><!-- c -->\n').encode("utf-16")),
        (
            "word/_rels/document.xml.rels",
            b'<?xml version="1.0"?>\n<!DOCTYPE r SYSTEM "file:///etc/passwd"><r/>',
        ),
    ],
    ids=["billion-laughs", "utf16-after-comment", "external-dtd-in-rels"],
)
def test_xml_with_a_dtd_is_refused(tmp_path: Path, part: str, content: bytes) -> None:
    path = rewritten_docx(tmp_path / "laughs.docx", {part: content})
    with pytest.raises(CorruptDocument, match="contains a DTD"):
        DocxExtractor().extract(path, DOCX, OPTIONS)


def test_dtd_hidden_behind_a_long_prolog_is_refused(tmp_path: Path) -> None:
    padded = BILLION_LAUGHS.replace('"1.0"?>', '"1.0"?><!--' + "x" * 20_000 + "-->")
    path = rewritten_docx(tmp_path / "padded.docx", {"word/document.xml": padded.encode()})
    with pytest.raises(CorruptDocument, match="16 KB of preamble"):
        DocxExtractor().extract(path, DOCX, OPTIONS)


@pytest.mark.parametrize(
    ("extractor", "media_type"),
    [(DocxExtractor(), DOCX), (XlsxExtractor(), XLSX), (PptxExtractor(), PPTX)],
    ids=["docx", "xlsx", "pptx"],
)
@pytest.mark.parametrize(
    "content",
    [
        b"PK\x03\x04" + bytes(range(256)) * 8,
        b"just some text, not an archive",
        zip_of({"[Content_Types].xml": b"<Types", "word/document.xml": b"<w:document>"}),
        zip_of({"unrelated.txt": b"hello"}),
    ],
    ids=["broken-zip", "not-a-zip", "broken-xml", "missing-parts"],
)
def test_damaged_office_files_are_corrupt_documents(
    tmp_path: Path, extractor: DocxExtractor | XlsxExtractor | PptxExtractor, media_type: str, content: bytes
) -> None:
    path = tmp_path / "damaged"
    path.write_bytes(content)
    with pytest.raises(CorruptDocument):
        extractor.extract(path, media_type, OPTIONS)


def test_truncated_docx_is_a_corrupt_document(tmp_path: Path) -> None:
    whole = word_file(tmp_path / "whole.docx").read_bytes()
    path = tmp_path / "half.docx"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(CorruptDocument):
        DocxExtractor().extract(path, DOCX, OPTIONS)
