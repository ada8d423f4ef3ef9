"""Documents: streamed, validated uploads into content-addressed storage; listing, download, deletion."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import anyio.to_thread
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.audit.service import record_in_org
from pmdi.auth.principal import OrgContext
from pmdi.core.db import Hook, after_commit, after_rollback
from pmdi.core.deps import Page
from pmdi.core.state import AppState
from pmdi.documents.errors import ConcurrentDuplicate, EmptyFile, NotExtracted
from pmdi.documents.models import Document, DocumentStatus
from pmdi.documents.repository import DocumentContentRepository, DocumentRepository
from pmdi.documents.schemas import (
    DocumentFilters,
    DocumentOut,
    DocumentPage,
    DocumentText,
    UploadedDocument,
    UploadResult,
)
from pmdi.documents.sniff import sniff
from pmdi.documents.spool import SpooledFile, spool_bytes, spool_upload
from pmdi.events.schemas import EventType
from pmdi.events.service import emit
from pmdi.jobs.service import create_processing_job
from pmdi.limits.service import check_upload
from pmdi.projects.models import Project
from pmdi.registers import tracking
from pmdi.storage.base import Storage, document_key


async def upload_documents(
    session: AsyncSession,
    state: AppState,
    ctx: OrgContext,
    project: Project,
    content_type: str | None,
    body: AsyncIterator[bytes],
) -> UploadResult:
    """All-or-nothing: one refused file refuses the request, and nothing of it is kept."""
    limits = state.settings.uploads
    tmp_dir = state.settings.data_dir / "tmp"
    files = await spool_upload(content_type, body, tmp_dir, limits.max_bytes, limits.max_files_per_request)
    try:
        media_types = [await anyio.to_thread.run_sync(_validate, f) for f in files]
        items = [
            await _store(session, state, ctx, project, f, m) for f, m in zip(files, media_types, strict=True)
        ]
    finally:
        await anyio.to_thread.run_sync(_remove_temp, [f.path for f in files])
    return UploadResult(items=items)


async def upload_file(
    session: AsyncSession, state: AppState, ctx: OrgContext, project: Project, name: str, content: bytes
) -> UploadedDocument:
    """One file from elsewhere (an email and its attachments), checked and stored exactly like an upload."""
    limits = state.settings.uploads
    spooled = await anyio.to_thread.run_sync(
        spool_bytes, name, content, state.settings.data_dir / "tmp", limits.max_bytes
    )
    try:
        media_type = await anyio.to_thread.run_sync(_validate, spooled)
        return await _store(session, state, ctx, project, spooled, media_type)
    finally:
        await anyio.to_thread.run_sync(_remove_temp, [spooled.path])


def _validate(spooled: SpooledFile) -> str:
    if spooled.size == 0:
        raise EmptyFile(f"'{spooled.filename}' is empty (0 bytes).")
    return sniff(spooled.path, spooled.filename)


def _remove_temp(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


async def _store(
    session: AsyncSession,
    state: AppState,
    ctx: OrgContext,
    project: Project,
    spooled: SpooledFile,
    media: str,
) -> UploadedDocument:
    repo = DocumentRepository(session, ctx.organization_id)
    existing = await repo.find_by_content(project.id, spooled.sha256)
    if existing is not None:
        return UploadedDocument(document=DocumentOut.model_validate(existing), duplicate=True)
    await check_upload(session, state.settings.quotas, ctx.organization_id, spooled.size)
    key = document_key(str(ctx.organization_id), spooled.sha256)
    if await state.storage.put_file(key, spooled.path):
        after_rollback(session, _deleter(state.storage, key))
    document = Document(
        project_id=project.id,
        uploaded_by_id=ctx.user_id,
        original_filename=spooled.original_name[:1024],
        filename=spooled.filename,
        media_type=media,
        size_bytes=spooled.size,
        sha256=spooled.sha256,
        storage_key=key,
        status=DocumentStatus.QUEUED,
    )
    try:
        await repo.add(document)
    except IntegrityError as exc:
        raise ConcurrentDuplicate() from exc
    await create_processing_job(session, ctx.organization_id, document.id)
    status = {"document_id": str(document.id), "status": document.status, "filename": document.filename}
    await emit(session, state.events, ctx.organization_id, EventType.DOCUMENT_STATUS, status)
    data = {"filename": document.filename, "size": document.size_bytes, "media_type": media}
    await record_in_org(session, ctx, "document.uploaded", ("document", document.id), data)
    return UploadedDocument(document=DocumentOut.model_validate(document), duplicate=False)


def _deleter(storage: Storage, key: str) -> Hook:
    async def delete() -> None:
        await storage.delete(key)

    return delete


def remove_blobs_after_commit(
    session: AsyncSession, state: AppState, organization_id: uuid.UUID, keys: set[str]
) -> None:
    """Once the rows are gone for good, delete blobs that no remaining document of the organisation uses."""

    async def cleanup() -> None:
        async with state.sessionmaker() as fresh:
            repo = DocumentRepository(fresh, organization_id)
            for key in keys:
                if await repo.references(key) == 0:
                    await state.storage.delete(key)

    if keys:
        after_commit(session, cleanup)


async def list_documents(
    session: AsyncSession, ctx: OrgContext, filters: DocumentFilters, page: Page
) -> DocumentPage:
    repo = DocumentRepository(session, ctx.organization_id)
    items, total = await repo.page_rows(repo.listed(filters), page.limit, page.offset)
    return DocumentPage(
        items=[DocumentOut.model_validate(d) for d in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


async def delete_document(
    session: AsyncSession, state: AppState, ctx: OrgContext, document: Document
) -> None:
    await tracking.forget(session, document)
    await DocumentRepository(session, ctx.organization_id).delete(document)
    remove_blobs_after_commit(session, state, ctx.organization_id, {document.storage_key})
    await record_in_org(
        session, ctx, "document.deleted", ("document", document.id), {"filename": document.filename}
    )


async def extracted_text(session: AsyncSession, ctx: OrgContext, document: Document) -> DocumentText:
    content = await DocumentContentRepository(session, ctx.organization_id).for_document(document.id)
    if content is None:
        raise NotExtracted()
    return DocumentText(
        document_id=document.id,
        text=content.text,
        pages=content.pages,
        blocks=content.blocks,
        metadata=content.meta,
    )


def download_headers(document: Document) -> dict[str, str]:
    """Always an attachment in a sandbox: stored HTML must never run on our origin."""
    ascii_name = document.filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(document.filename)}"
    return {
        "Content-Disposition": disposition,
        "Content-Length": str(document.size_bytes),
        "ETag": f'"{document.sha256}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": "private, no-store",
    }


def stream_content(state: AppState, document: Document) -> AsyncIterator[bytes]:
    return state.storage.stream(document.storage_key)
