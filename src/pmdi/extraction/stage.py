"""The `extract` pipeline stage: original file → canonical text, pages and blocks, stored per document."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.config import ExtractionSettings
from pmdi.documents.models import Document, DocumentContent, DocumentStatus
from pmdi.extraction.base import ExtractOptions, extract
from pmdi.extraction.language import detect_language
from pmdi.jobs.errors import PermanentStageError
from pmdi.jobs.pipeline import Stage, StageInput

MB = 1024 * 1024


def options_from(settings: ExtractionSettings, filename: str) -> ExtractOptions:
    return ExtractOptions(
        filename=filename,
        max_pages=settings.max_pages,
        max_chars=settings.max_chars,
        max_image_pixels=settings.max_image_pixels,
        max_unzipped_bytes=settings.max_unzipped_mb * MB,
        ocr_provider=settings.ocr_provider,
        ocr_language=settings.ocr_language,
        ocr_dpi=settings.ocr_dpi,
    )


def extract_file(
    path: str, media_type: str, options: ExtractOptions, sha256: str | None = None
) -> dict[str, Any]:
    """Runs in the sandbox subprocess."""
    if sha256 is not None and hashlib.sha256(Path(path).read_bytes()).hexdigest() != sha256:
        raise PermanentStageError("The stored file does not match its checksum; upload it again.")
    document = extract(Path(path), media_type, options)
    document.metadata.language = document.metadata.language or detect_language(document.text)
    return document.to_dict()


async def _compute(stage_input: StageInput) -> dict[str, Any]:
    path = await stage_input.local_file()
    ref = stage_input.document
    options = options_from(stage_input.state.settings.extraction, ref.filename)
    return await stage_input.state.processes.run(extract_file, str(path), ref.media_type, options, ref.sha256)


async def _save(session: AsyncSession, document: Document, result: dict[str, Any]) -> dict[str, Any]:
    stmt = select(DocumentContent).where(
        DocumentContent.organization_id == document.organization_id,
        DocumentContent.document_id == document.id,
    )
    content = (await session.execute(stmt)).scalar_one_or_none()
    if content is None:
        content = DocumentContent(organization_id=document.organization_id, document_id=document.id)
        session.add(content)
    meta = result["metadata"]
    content.text, content.pages, content.blocks, content.meta = (
        result["text"],
        result["pages"],
        result["blocks"],
        meta,
    )
    document.page_count, document.language = meta["page_count"], meta["language"]
    document.title = (meta["title"] or None) and str(meta["title"])[:500]
    return {
        "extractor": meta["extractor"],
        "pages": meta["page_count"],
        "chars": len(result["text"]),
        "blocks": len(result["blocks"]),
        "ocr_used": meta["ocr_used"],
        "ocr_confidence": meta["ocr_confidence"],
        "truncated": meta["truncated"],
        "warnings": meta["warnings"],
    }


EXTRACT = Stage(
    name="extract",
    running_status=DocumentStatus.EXTRACTING,
    done_status=DocumentStatus.EXTRACTED,
    compute=_compute,
    save=_save,
)
