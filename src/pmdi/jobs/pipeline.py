"""The processing pipeline: an explicit ordered list of small stages.

A stage computes without touching the database (`compute`, may use the process pool), then persists its
result idempotently (`save`) in a transaction that first re-checks the worker still holds the job's lease.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.documents.models import Document, DocumentStatus
from pmdi.events.schemas import EventType

if TYPE_CHECKING:
    from pmdi.core.state import AppState


@dataclass(frozen=True)
class DocumentRef:
    id: uuid.UUID
    organization_id: uuid.UUID
    storage_key: str
    media_type: str
    filename: str
    size_bytes: int
    sha256: str

    @classmethod
    def of(cls, document: Document) -> DocumentRef:
        return cls(
            document.id,
            document.organization_id,
            document.storage_key,
            document.media_type,
            document.filename,
            document.size_bytes,
            document.sha256,
        )


@dataclass(frozen=True)
class StageInput:
    state: AppState
    document: DocumentRef
    workdir: Path

    async def local_file(self) -> Path:
        """The original file on local disk (fetched once per job from whatever storage holds it)."""
        path = self.workdir / "original"
        if not path.exists():
            await self.state.storage.fetch_to(self.document.storage_key, path)
        return path


Compute = Callable[[StageInput], Awaitable[dict[str, Any]]]
# Persists the computed result and returns the summary kept on the job's stage record.
Save = Callable[[AsyncSession, Document, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Stage:
    name: str
    running_status: DocumentStatus
    done_status: DocumentStatus
    compute: Compute
    save: Save
    # Published (after commit, like every event) when the stage's result is saved, with its summary.
    done_event: EventType | None = None


def default_pipeline() -> list[Stage]:
    from pmdi.analysis.stage import ANALYZE
    from pmdi.extraction.stage import EXTRACT
    from pmdi.search.stage import INDEX

    return [EXTRACT, ANALYZE, INDEX]
