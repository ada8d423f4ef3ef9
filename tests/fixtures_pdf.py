"""Generators for the PDF and image fixtures of test_extract_pdf: everything is drawn at test time."""

from __future__ import annotations

import random
from pathlib import Path

import pypdfium2
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    FrameBreak,
    PageBreak,
    PageTemplate,
    Paragraph,
    SimpleDocTemplate,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=10, leading=13, spaceAfter=8)
H1 = ParagraphStyle("h1", fontName="Helvetica-Bold", fontSize=20, leading=24, spaceAfter=10)
H2 = ParagraphStyle("h2", fontName="Helvetica-Bold", fontSize=14, leading=18, spaceAfter=6)
BULLET = ParagraphStyle("bullet", parent=BODY, leftIndent=18, bulletIndent=6, spaceAfter=3)

LEFT = [
    "The steering group met on Monday to review the migration plan for the billing platform. "
    "Everyone agreed that the cutover window must stay outside the quarter end.",
    "Priya presented the revised budget, which now includes contingency for two extra contractors "
    "during the data reconciliation phase.",
]
RIGHT = [
    "Risks were discussed at length. The largest is the dependency on the vendor's export tool, "
    "which has failed twice in testing.",
    "Marco will confirm the vendor support hours and report back before the next checkpoint.",
]
TABLE = [
    ["Action", "Owner", "Due"],
    ["Confirm support hours", "Marco", "12 May"],
    ["Update budget sheet", "Priya", "15 May"],
    ["Book cutover rehearsal", "Lena", "20 May"],
]

DENSE_LINE = "Action: Maria will send the revised budget to the steering committee by Friday, 12 March."

MEETING_NOTE = (
    "Project Atlas weekly meeting minutes. Attendees were Sarah Chen, David Okafor, Maria Lopez and Tom "
    "Becker. Sarah opened the meeting by reviewing the status of the warehouse integration. The supplier "
    "interface is complete, but the inventory sync still fails when orders contain more than fifty lines. "
    "David will investigate the batch size limit and report by Thursday. Maria reported that user "
    "acceptance testing starts on the third of June with twelve testers from the regional offices. The "
    "training material is ready, although the screenshots need updating after the latest release. Tom "
    "raised a concern about the budget: the cloud hosting costs are forty percent above the original "
    "estimate because of the larger database tier. The team agreed to review the sizing with the "
    "infrastructure group next week. Decision: the go live date remains the first of July unless testing "
    "finds a critical defect. Action items: David to fix the sync issue, Maria to update the training "
    "screenshots, Tom to prepare a revised cost forecast for the steering committee."
)


def two_column_with_table(path: Path) -> None:
    width, height = A4
    margin, gap = 50, 20
    column = (width - 2 * margin - gap) / 2
    frames = [
        Frame(margin, height - 110, width - 2 * margin, 60, id="title"),
        Frame(margin, 330, column, height - 450, id="left"),
        Frame(margin + column + gap, 330, column, height - 450, id="right"),
        Frame(margin, 60, width - 2 * margin, 260, id="bottom"),
    ]
    doc = BaseDocTemplate(str(path), pagesize=A4, title="Billing migration", author="Priya Raman")
    doc.addPageTemplates([PageTemplate(frames=frames)])
    table = Table(TABLE)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    story: list[Flowable] = [Paragraph("Steering group minutes", H1), FrameBreak()]
    story += [Paragraph(text, BODY) for text in LEFT] + [FrameBreak()]
    story += [Paragraph(text, BODY) for text in RIGHT] + [FrameBreak(), table]
    doc.build(story)


def page_paragraphs(number: int) -> list[str]:
    return [
        f"Section {number} covers workstream {number} of the rollout. The team tracked progress against "
        f"the baseline and noted marker{number}x in the weekly report for this workstream."
    ] + [
        f"Paragraph {k} of section {number}: the delivery lead reviewed dependencies, staffing, open "
        "risks and the acceptance criteria with the product owner and agreed the next steps. " * 2
        for k in range(1, 6)
    ]


def long_text_pdf(path: Path, pages: int) -> None:
    story: list[Flowable] = []
    for number in range(1, pages + 1):
        story.append(Paragraph(f"Workstream {number}", H2))
        story += [Paragraph(text, BODY) for text in page_paragraphs(number)]
        story.append(PageBreak())
    SimpleDocTemplate(str(path), pagesize=A4).build(story[:-1])


def dense_text_pdf(path: Path, pages: int) -> None:
    """The acceptance benchmark's text PDF (bench/extract.py): a 16pt heading and 55 numbered lines a page."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for page in range(pages):
        pdf.setFont("Helvetica-Bold", 16)
        pdf.drawString(72, 800, f"Status report, section {page + 1}")
        pdf.setFont("Helvetica", 10)
        for row in range(55):
            pdf.drawString(72, 770 - row * 12, f"{row + 1}. {DENSE_LINE}")
        pdf.showPage()
    pdf.save()


def ruled_table_pdf(path: Path) -> None:
    """One column with a ruled table in it, on a media box that does not start at (0, 0)."""
    table = Table(TABLE)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    story: list[Flowable] = [
        Paragraph("Actions", H2),
        Paragraph(LEFT[0], BODY),
        table,
        Paragraph(RIGHT[1], BODY),
    ]
    SimpleDocTemplate(str(path), pagesize=A4).build(story)
    pdf = pypdfium2.PdfDocument(path)
    pdf[0].set_mediabox(-30, -40, A4[0] - 30, A4[1] - 40)
    pdf.save(path.with_suffix(".moved.pdf"))
    pdf.close()
    path.with_suffix(".moved.pdf").replace(path)


def double_spaced_columns_pdf(path: Path) -> None:
    """Two double-spaced columns whose baselines sit apart, so that no line shares another's height."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setFont("Helvetica", 10)
    words = " ".join(LEFT + RIGHT).split()
    rows = [" ".join(words[start : start + 5]) for start in range(0, len(words), 5)]
    for row, text in enumerate(rows):
        column, line = divmod(row, (len(rows) + 1) // 2)
        pdf.drawString(72 + column * 260, 760 - column * 12 - line * 24, text)
    pdf.save()


def turned_text_pdf(path: Path) -> None:
    """A page of lines with a label running up its margin."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for row, text in enumerate(LEFT):
        pdf.drawString(72, 760 - row * 14, text[:80])
    pdf.rotate(90)
    pdf.drawString(300, -40, "Draft for discussion")
    pdf.save()


def structured_pdf(path: Path) -> None:
    story: list[Flowable] = [
        Paragraph("Quarterly delivery report", H1),
        Paragraph("The programme stayed on track this quarter despite two late supplier deliveries.", BODY),
        Paragraph("Key risks", H2),
        Paragraph("Vendor export tool is unstable", BULLET, bulletText="•"),
        Paragraph("Hosting costs above the estimate", BULLET, bulletText="•"),
        Paragraph("Next steps", H2),
        Paragraph("The team will rehearse the cutover in May and report the results.", BODY),
    ]
    SimpleDocTemplate(str(path), pagesize=A4).build(story)


def hyphenated_pdf(path: Path) -> None:
    pdf = canvas.Canvas(str(path), pagesize=A4)
    lines = ["The programme board approved the change", "manage-", "ment plan and the revised sched-", "ule."]
    for row, line in enumerate(lines):
        pdf.drawString(72, 760 - row * 13, line)
    pdf.save()


def note_image(dpi: int = 200, seed: int = 7) -> Image.Image:
    """The meeting note as a scanned page: black text on white at `dpi`, with mild speckle and blur."""
    font = ImageFont.truetype(str(FONT), size=round(11 * dpi / 72))
    page = Image.new("L", (round(8.27 * dpi), round(11.69 * dpi)), 255)
    draw = ImageDraw.Draw(page)
    margin, y = dpi, dpi
    line = ""
    for word in MEETING_NOTE.split():
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font) > page.width - 2 * margin:
            draw.text((margin, y), line, font=font, fill=0)
            y, line = y + round(font.size * 1.5), word
        else:
            line = candidate
    draw.text((margin, y), line, font=font, fill=0)
    return add_noise(page.filter(ImageFilter.GaussianBlur(0.6)), seed)


def add_noise(image: Image.Image, seed: int, amount: float = 0.01) -> Image.Image:
    rng = random.Random(seed)
    noisy = image.copy()
    pixels = noisy.load()
    assert pixels is not None
    for _ in range(int(noisy.width * noisy.height * amount)):
        x, y = rng.randrange(noisy.width), rng.randrange(noisy.height)
        pixels[x, y] = rng.choice((0, 90, 170, 255))
    return noisy


def scanned_pdf(path: Path, image: Image.Image) -> None:
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.drawImage(ImageReader(image), 0, 0, width=A4[0], height=A4[1])
    pdf.save()
