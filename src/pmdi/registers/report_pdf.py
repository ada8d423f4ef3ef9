"""The project report as PDF, laid out by ReportLab. CPU-bound: call it in a worker thread.

Paragraph text is ReportLab markup, so every document-derived string is XML-escaped first.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from pmdi.registers.report import ReportData, day, is_open

# DejaVu (Debian's fonts-dejavu-core, installed by the Makefile) covers accents and most scripts; the
# built-in Helvetica only Latin-1.
_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_PAGE = landscape(A4)


@lru_cache(maxsize=1)
def _fonts() -> tuple[str, str]:
    regular, bold = _FONT_DIR / "DejaVuSans.ttf", _FONT_DIR / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
        return "DejaVuSans", "DejaVuSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def _styles() -> dict[str, ParagraphStyle]:
    font, bold = _fonts()
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontName=bold),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName=bold),
        "body": ParagraphStyle("body", parent=base["BodyText"], fontName=font, fontSize=9, leading=11),
        "cell": ParagraphStyle("cell", parent=base["BodyText"], fontName=font, fontSize=8, leading=10),
        "head": ParagraphStyle("head", parent=base["BodyText"], fontName=bold, fontSize=8, leading=10),
    }


def _p(text: object, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(" ".join(str(text if text is not None else "-").split())), style)


def _table(
    styles: dict[str, ParagraphStyle], headers: list[str], rows: list[list[object]], widths: list[float]
) -> Flowable:
    if not rows:
        return _p("None.", styles["body"])
    data = [[_p(h, styles["head"]) for h in headers]] + [[_p(c, styles["cell"]) for c in row] for row in rows]
    usable = _PAGE[0] - 30 * mm
    table = Table(data, colWidths=[usable * w for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle([
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf3")),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b7c3")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ])
    )  # fmt: skip
    return table


def to_pdf(data: ReportData) -> bytes:
    styles = _styles()
    open_actions = sum(is_open(a) for a in data.actions)
    story: list[Flowable] = [
        _p(f"{data.project} - project report", styles["title"]),
        _p(f"Generated {data.generated_at:%Y-%m-%d %H:%M} UTC. {open_actions} open actions "
           f"({len(data.overdue)} overdue), {sum(is_open(r) for r in data.risks)} open risks, "
           f"{len(data.decisions)} recent decisions, {len(data.milestones)} milestones.", styles["body"]),
        Spacer(1, 4 * mm),
        _p("Summary", styles["h2"]),
        *[_p(f"{s.filename} ({day(s.date)}): {s.summary}", styles["body"]) for s in data.summaries],
        _p("Action items", styles["h2"]),
        _table(styles, ["Action", "Owner", "Due", "Priority", "Status"],
               [[a.text, a.owner, day(a.due_date), a.priority, a.status] for a in data.actions],
               [0.5, 0.16, 0.12, 0.1, 0.12]),
        _p("Risks", styles["h2"]),
        _table(styles, ["Type", "Risk", "Owner", "Severity", "Likelihood", "Mitigation", "Status"],
               [[r.category, r.text, r.owner, r.severity, r.likelihood, r.mitigation, r.status]
                for r in data.risks], [0.08, 0.36, 0.12, 0.08, 0.08, 0.2, 0.08]),
        _p("Recent decisions", styles["h2"]),
        _table(styles, ["Decision", "Date"], [[d.text, day(d.first_mentioned_on)] for d in data.decisions],
               [0.85, 0.15]),
        _p("Milestones", styles["h2"]),
        _table(styles, ["Milestone", "Date", "Status"],
               [[m.text, day(m.due_date), m.status] for m in data.milestones], [0.65, 0.15, 0.2]),
    ]  # fmt: skip
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out, pagesize=_PAGE, leftMargin=15 * mm, rightMargin=15 * mm, title=data.project
    )
    document.build(story)
    return out.getvalue()
