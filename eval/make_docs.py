"""Render the binary dev-set documents in eval/docs/ from `doc_sources.py` and `data_sources.py`.

The generated files are committed, so running the evaluation never needs this script; rerun it after
editing a source (`.venv/bin/python eval/make_docs.py`). Creation dates in the file metadata are set to
each document's own date, as an authoring tool would.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

# The content modules sit next to this script; eval/ is a folder of files, not a package.
sys.path.insert(0, str(Path(__file__).parent))

import data_sources as data
import doc_sources as src

DOCS = Path(__file__).parent / "docs"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _created(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 9, 0)


def write_docx(path: Path, blocks: list[src.Block], day: dt.date) -> None:
    import docx

    document = docx.Document()
    styles = {"h1": "Heading 1", "h2": "Heading 2", "bullet": "List Bullet"}
    for kind, payload in blocks:
        if kind == "table":
            table = document.add_table(rows=0, cols=len(payload[0]))
            table.style = "Table Grid"
            for row in payload:
                for cell, value in zip(table.add_row().cells, row, strict=True):
                    cell.text = str(value)
        else:
            document.add_paragraph(payload, style=styles.get(kind))
    document.core_properties.created = _created(day)
    document.core_properties.modified = _created(day)
    document.core_properties.author = "pmdi dev set"
    document.save(str(path))


def write_pdf(path: Path, blocks: list[src.Block], day: dt.date) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import ListFlowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    # reportlab stamps CreationDate from SOURCE_DATE_EPOCH: reproducible files dated like the document.
    os.environ["SOURCE_DATE_EPOCH"] = str(int(_created(day).replace(tzinfo=dt.UTC).timestamp()))
    styles = getSampleStyleSheet()
    story: list[object] = []
    names = {"h1": "Title", "h2": "Heading2", "p": "BodyText"}
    for kind, payload in blocks:
        if kind == "table":
            cells = [[Paragraph(str(value), styles["BodyText"]) for value in row] for row in payload]
            table = Table(cells, hAlign="LEFT")
            table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey)]))
            story += [table, Spacer(1, 8)]
        elif kind == "bullet":
            story.append(ListFlowable([Paragraph(payload, styles["BodyText"])], bulletType="bullet"))
        else:
            story.append(Paragraph(payload, styles[names[kind]]))
    SimpleDocTemplate(str(path), pagesize=A4, title=blocks[0][1]).build(story)
    del os.environ["SOURCE_DATE_EPOCH"]


def write_pptx(path: Path, slides: list[tuple[str, list[str]]], day: dt.date) -> None:
    from pptx import Presentation

    deck = Presentation()
    for index, (title, bullets) in enumerate(slides):
        slide = deck.slides.add_slide(deck.slide_layouts[0 if index == 0 else 1])
        slide.shapes.title.text = title
        body = slide.placeholders[1].text_frame
        body.text = bullets[0]
        for bullet in bullets[1:]:
            body.add_paragraph().text = bullet
    deck.core_properties.created = _created(day)
    deck.core_properties.modified = _created(day)
    deck.save(str(path))


def _workbook(day: dt.date):  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    book = Workbook()
    book.properties.creator = "PMO"
    book.properties.created = _created(day)
    book.properties.modified = _created(day)
    return book


def write_risk_register(path: Path) -> None:
    day = dt.date(2025, 7, 1)
    book = _workbook(day)
    sheet = book.active
    sheet.title = "Risk register"
    sheet.append(["Project Helios \N{EN DASH} Risk Register", "", "", "As of", day])
    sheet.append([])
    sheet.append(data.RISK_REGISTER_HEADER)
    for row in data.RISK_REGISTER_ROWS:
        sheet.append(row)
    scale = book.create_sheet("Scales")
    for row in data.RISK_SCALE:
        scale.append(row)
    book.save(path)


def write_schedule(path: Path) -> None:
    book = _workbook(dt.date(2025, 1, 20))
    sheet = book.active
    sheet.title = "Milestones"
    sheet.append(["ERP Upgrade \N{EN DASH} Project Schedule (baseline v3, 20 Jan 2025)"])
    sheet.append([])
    for row in data.ERP_SCHEDULE:
        sheet.append(row)
    for cell in sheet["C"]:
        cell.number_format = "DD-MMM-YYYY"
    book.save(path)


def _html(body: str) -> str:
    """Outlook-style HTML: the earlier message sits under a ruled header block, not behind '>'."""
    reply, _, quoted = body.partition("\nFrom: ")
    paragraphs = "".join(f"<p>{part.replace(chr(10), '<br>')}</p>" for part in reply.strip().split("\n\n"))
    earlier = ("From: " + quoted).replace("\n", "<br>")
    return (
        f"<html><body>{paragraphs}<div style='border-top:solid #E1E1E1 1pt;padding-top:3pt'>"
        f"{earlier}</div></body></html>"
    )


def write_eml(path: Path, fields: dict[str, str], *, with_html: bool) -> None:
    message = EmailMessage()
    for name in ("From", "To", "Cc", "Date", "Subject"):
        message[name] = fields[name]
    message["Message-ID"] = f"<{path.stem}@dev-set.example>"
    message.set_content(fields["body"])
    if with_html:
        message.add_alternative(_html(fields["body"]), subtype="html")
        message.set_boundary("dev-set-boundary")  # the default is random: keep the committed file stable
    path.write_bytes(message.as_bytes(policy=SMTP))


def write_scan(path: Path, lines: list[str]) -> None:
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    font = ImageFont.truetype(FONT, 34)
    page = Image.new("L", (1700, 2200), 250)
    draw = ImageDraw.Draw(page)
    for index, line in enumerate(lines):
        draw.text((150, 160 + index * 56), line, font=font, fill=25)
    # A scanner's look: slight skew, soft edges and paper speckle (seeded, so the file is reproducible).
    page = page.rotate(0.8, resample=Image.Resampling.BICUBIC, fillcolor=250).filter(
        ImageFilter.GaussianBlur(0.7)
    )
    noise = random.Random(7)  # noqa: S311 - visual noise, not security
    pixels = page.load()
    for _ in range(6000):
        x, y = noise.randrange(page.width), noise.randrange(page.height)
        pixels[x, y] = noise.choice((90, 140, 200))
    page.save(path, optimize=True)


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    write_docx(DOCS / "steering-committee-2024-10-17.docx", src.STEERING_COMMITTEE, dt.date(2024, 10, 17))
    write_docx(DOCS / "sow-patient-records-migration.docx", src.SOW, dt.date(2025, 3, 1))
    write_docx(DOCS / "office-move-meeting-summary.docx", src.OFFICE_MOVE, dt.date(2025, 2, 11))
    write_pdf(DOCS / "status-report-nimbus-wk23.pdf", src.STATUS_REPORT, dt.date(2025, 6, 6))
    write_pdf(DOCS / "news-harbor-bike-lanes.pdf", src.NEWS_ARTICLE, dt.date(2025, 3, 4))
    write_pptx(DOCS / "orion-kickoff.pptx", src.KICKOFF_SLIDES, dt.date(2025, 5, 12))
    write_risk_register(DOCS / "risk-register-helios.xlsx")
    write_schedule(DOCS / "erp-upgrade-schedule.xlsx")
    write_eml(DOCS / "pos-migration-thread.eml", data.VENDOR_THREAD, with_html=False)
    write_eml(DOCS / "crm-rollout-decision.eml", data.ROLLOUT_EMAIL, with_html=True)
    write_scan(DOCS / "scan-facilities-minutes.png", data.SCANNED_MINUTES)


if __name__ == "__main__":
    main()
