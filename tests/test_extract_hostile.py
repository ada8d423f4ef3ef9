"""Hostile files through the real pipeline: each fails with a clear reason, in time, with bounded memory,
and the worker carries on with the next file."""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from pathlib import Path

import docx
from reportlab.pdfgen import canvas

from tests.conftest import client_for
from tests.helpers import Api
from tests.jobs_support import fresh_app, wait_settled

MB = 1024 * 1024


def text_pdf(encrypt: str | None = None) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, encrypt=encrypt)
    for page in range(3):
        pdf.drawString(72, 720, f"Page {page + 1}: the vendor contract is signed.")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def base_docx() -> bytes:
    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("Quarterly plan")
    document.save(buffer)
    return buffer.getvalue()


def rewrite_docx(extra: dict[str, bytes] | None = None, stream_zeros: int = 0) -> bytes:
    """Copy a real DOCX, replacing or adding parts; `stream_zeros` adds a huge, highly compressible part."""
    source = zipfile.ZipFile(io.BytesIO(base_docx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, (extra or {}).get(item.filename, source.read(item.filename)))
        if stream_zeros:
            with target.open("word/media/padding.bin", "w", force_zip64=True) as part:
                chunk = bytes(MB)
                for _ in range(stream_zeros // MB):
                    part.write(chunk)
    return out.getvalue()


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    + b"<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
)


def giant_png(width: int = 20_000, height: int = 20_000) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor = zlib.compressobj(9)
    row = bytes(width + 1)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def peak_rss_mb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    raise AssertionError("no VmHWM")


async def test_hostile_files_fail_cleanly_and_the_next_file_is_processed(tmp_root: Path) -> None:
    valid_pdf = text_pdf()
    hostile = {
        "bomb.docx": rewrite_docx(stream_zeros=300 * MB),
        "laughs.docx": rewrite_docx({"word/document.xml": BILLION_LAUGHS}),
        "huge.png": giant_png(),
        "truncated.pdf": valid_pdf[: len(valid_pdf) // 2],
        "encrypted.pdf": text_pdf(encrypt="secret"),
        "garbage.pdf": b"%PDF-1.7\n" + os.urandom(50_000),
    }
    before = peak_rss_mb()
    worker = {"concurrency": 1, "task_timeout_seconds": 30.0}
    async with fresh_app("sqlite", tmp_root, embedded=True, **worker) as (app, _), client_for(app) as client:
        api = Api(client)
        owner = await api.user()
        await api.org(owner)
        project = await api.project(owner)
        for name, content in hostile.items():
            await api.uploaded(owner, project, name, content)
        fine = await api.uploaded(owner, project, "fine.pdf", valid_pdf)
        settled = {d["filename"]: d for d in await wait_settled(client, owner, len(hostile) + 1, within=120)}

    assert settled["fine.pdf"]["status"] == "indexed", settled["fine.pdf"]
    assert settled["fine.pdf"]["id"] == fine["id"]
    reasons = {name: (settled[name]["status"], settled[name]["error_reason"]) for name in hostile}
    assert all(status == "failed" and reason for status, reason in reasons.values()), reasons
    assert "password" in reasons["encrypted.pdf"][1].lower()
    assert peak_rss_mb() - before < 300, "parsing happens in limited subprocesses, not in the worker"
