"""The `index` pipeline stage: the stored extraction cut into embedded chunks, replacing the old ones."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.documents.models import Document, DocumentStatus
from pmdi.documents.repository import DocumentContentRepository
from pmdi.jobs.errors import PermanentStageError
from pmdi.jobs.pipeline import Stage, StageInput
from pmdi.search.chunking import chunk_document
from pmdi.search.models import SearchChunk
from pmdi.search.repository import ChunkRepository
from pmdi.search.vectors import to_blob


async def _compute(stage_input: StageInput) -> dict[str, Any]:
    ref, state = stage_input.document, stage_input.state
    settings = state.settings.search
    async with state.sessionmaker() as session:
        stored = await DocumentContentRepository(session, ref.organization_id).for_document(ref.id)
        if stored is None:
            raise PermanentStageError("The document has no extracted text to index.")
        text, blocks = stored.text, stored.blocks
    chunks = await anyio.to_thread.run_sync(chunk_document, text, blocks, settings.chunk_words)
    chunks = chunks[: settings.max_chunks_per_document]
    rows = [
        {"page": c.page, "start": c.start, "end": c.end, "context": c.context[:1000], "text": c.text}
        for c in chunks
    ]
    if state.embedder is not None and chunks:
        vectors = await anyio.to_thread.run_sync(state.embedder.embed, [c.search_text for c in chunks])
        for row, vector in zip(rows, vectors, strict=True):
            row["embedding"] = to_blob(vector)
    return {"chunks": rows, "truncated": len(chunks) == settings.max_chunks_per_document}


async def _save(session: AsyncSession, document: Document, result: dict[str, Any]) -> dict[str, Any]:
    chunks = [SearchChunk(ordinal=i, **row) for i, row in enumerate(result["chunks"])]
    await ChunkRepository(session, document.organization_id).replace(document.id, chunks)
    embedded = bool(chunks) and chunks[0].embedding is not None
    return {"chunks": len(chunks), "embedded": embedded, "truncated": result["truncated"]}


INDEX = Stage(
    name="index",
    running_status=DocumentStatus.INDEXING,
    done_status=DocumentStatus.INDEXED,
    compute=_compute,
    save=_save,
)
