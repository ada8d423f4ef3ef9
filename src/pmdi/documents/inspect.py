"""The `inspect` stage: verify the stored bytes and record basic file facts.

It proves the pipeline mechanics before extraction exists, and catches hostile containers early: a truncated
PDF, a ZIP whose contents would inflate past a sane size, an image with an absurd pixel count.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.documents import sniff
from pmdi.documents.models import Document, DocumentStatus
from pmdi.jobs.errors import PermanentStageError
from pmdi.jobs.pipeline import Stage, StageInput

MAX_UNZIPPED_BYTES = 512 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
MAX_IMAGE_PIXELS = 100_000_000
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def inspect_file(path: str, media_type: str, expected_sha256: str) -> dict[str, Any]:
    """Runs in a worker subprocess: reads the whole file, so it must stay off the event loop."""
    data = Path(path).read_bytes()
    if hashlib.sha256(data).hexdigest() != expected_sha256:
        raise PermanentStageError("The stored file does not match its checksum; upload it again.")
    info: dict[str, Any] = {"size_bytes": len(data), "sha256_verified": True}
    if media_type == sniff.PDF:
        info.update(_pdf_facts(data))
    elif media_type in {sniff.DOCX, sniff.XLSX, sniff.PPTX}:
        info.update(_zip_facts(path))
    elif media_type == sniff.PNG:
        info.update(_png_facts(data))
    elif media_type.startswith(("text/", "message/")):
        text = data.decode("utf-8", errors="replace")
        info.update({"lines": text.count("\n") + 1, "words": len(text.split())})
    return info


def _pdf_facts(data: bytes) -> dict[str, Any]:
    if b"%%EOF" not in data[-2048:]:
        raise PermanentStageError("The PDF is truncated or damaged (no end-of-file marker).")
    return {"pages_estimate": len(_PDF_PAGE.findall(data)), "encrypted": b"/Encrypt" in data}


def _zip_facts(path: str) -> dict[str, Any]:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise PermanentStageError("The Office document's archive is corrupt.") from exc
    unzipped = sum(entry.file_size for entry in entries)
    packed = max(1, sum(entry.compress_size for entry in entries))
    if unzipped > MAX_UNZIPPED_BYTES or unzipped / packed > MAX_COMPRESSION_RATIO:
        raise PermanentStageError("The Office document inflates to an unsafe size (a possible zip bomb).")
    return {"entries": len(entries), "unzipped_bytes": unzipped}


def _png_facts(data: bytes) -> dict[str, Any]:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise PermanentStageError("The PNG image is damaged (no header).")
    width, height = struct.unpack(">II", data[16:24])
    if width * height > MAX_IMAGE_PIXELS:
        raise PermanentStageError(f"The image is too large ({width} x {height} pixels).")
    return {"width": width, "height": height}


async def _compute(stage_input: StageInput) -> dict[str, Any]:
    path = await stage_input.local_file()
    document = stage_input.document
    return await stage_input.state.processes.run(
        inspect_file, str(path), document.media_type, document.sha256
    )


async def _save(session: AsyncSession, document: Document, result: dict[str, Any]) -> None:
    document.file_info = result


INSPECT = Stage(
    name="inspect",
    running_status=DocumentStatus.PROCESSING,
    done_status=DocumentStatus.PROCESSED,
    compute=_compute,
    save=_save,
)
