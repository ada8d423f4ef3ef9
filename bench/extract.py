"""Extraction speed: pages per second for born-digital PDFs and for OCR pages, on this machine.

Generates a 20-page text PDF and a 3-page scanned PDF (200 dpi images of text), extracts each through the
same sandbox the pipeline uses, and prints a table. Run by hand: `.venv/bin/python bench/extract.py`.
"""

from __future__ import annotations

import io
import json
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from pmdi.config import Settings
from pmdi.core.processes import Sandbox
from pmdi.documents.sniff import PDF
from pmdi.extraction.stage import extract_file, options_from

ROOT = Path(__file__).resolve().parents[1]
LINE = "Action: Maria will send the revised budget to the steering committee by Friday, 12 March."
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def text_pdf(path: Path, pages: int) -> None:
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for page in range(pages):
        pdf.setFont("Helvetica-Bold", 16)
        pdf.drawString(72, 800, f"Status report, section {page + 1}")
        pdf.setFont("Helvetica", 10)
        for row in range(55):
            pdf.drawString(72, 770 - row * 12, f"{row + 1}. {LINE}")
        pdf.showPage()
    pdf.save()


def scanned_pdf(path: Path, pages: int) -> None:
    font = ImageFont.truetype(FONT, 28)
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for _ in range(pages):
        image = Image.new("L", (1654, 2339), 255)  # A4 at 200 dpi
        draw = ImageDraw.Draw(image)
        for row in range(40):
            draw.text((120, 120 + row * 52), LINE[: 60 + row % 20], fill=0, font=font)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        pdf.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), 0, 0, *A4)
        pdf.showPage()
    pdf.save()


def measure(sandbox: Sandbox, path: Path, runs: int) -> tuple[float, int]:
    options = options_from(Settings().extraction, path.name)
    seconds, pages = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        result = sandbox.run_blocking(extract_file, (str(path), PDF, options, None))
        seconds.append(time.perf_counter() - started)
        pages = len(result["pages"])
    return statistics.median(seconds), pages


def main() -> None:
    sandbox = Sandbox(timeout_seconds=600, memory_mb=4096)
    with tempfile.TemporaryDirectory() as tmp:
        text_path, scan_path = Path(tmp) / "text.pdf", Path(tmp) / "scan.pdf"
        text_pdf(text_path, 20)
        scanned_pdf(scan_path, 3)
        text_seconds, text_pages = measure(sandbox, text_path, 5)
        scan_seconds, scan_pages = measure(sandbox, scan_path, 1)
    result = {
        "text_pdf_20_pages_seconds": round(text_seconds, 3),
        "text_pdf_pages_per_second": round(text_pages / text_seconds, 1),
        "ocr_pages_per_second": round(scan_pages / scan_seconds, 2),
        "ocr_seconds_per_page": round(scan_seconds / scan_pages, 2),
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "extract.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
