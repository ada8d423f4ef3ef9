"""Exact nearest-neighbour search over each organisation's chunk vectors, held in memory per process.

Neither this Python's sqlite3 (no extension loading, so no sqlite-vec) nor the PostgreSQL servers we target
(no pgvector) offer a vector index, so vectors live in the chunk table (float16) and every process keeps a
float32 matrix per organisation. A scan of 100k x 384 takes ~6 ms.

Chunk ids only grow, so the cache stays current cheaply: each query reads the organisation's largest chunk id
(one index seek) and appends the rows after the last one it holds. Deleted chunks are found when their rows
are missing at fetch time; they are masked out at once and the matrix is rebuilt once a fifth of it is dead.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import anyio.to_thread
import numpy as np
from sqlalchemy import Row

from pmdi.search.repository import ChunkRepository

if TYPE_CHECKING:
    from numpy.typing import NDArray

REBUILD_WHEN_DEAD = 0.2


def to_blob(vector: NDArray[np.float32]) -> bytes:
    return vector.astype("<f2").tobytes()


@dataclass
class OrgVectors:
    last_id: int = 0
    ids: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # ascending
    documents: NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    matrix: NDArray[np.float32] = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    alive: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))
    document_ids: list[uuid.UUID] = field(default_factory=list)
    positions: dict[uuid.UUID, int] = field(default_factory=dict)

    def appended(self, rows: Sequence[tuple[int, uuid.UUID, bytes | None]]) -> OrgVectors:
        """A new cache with these rows (ids above `last_id`, ascending) added; unembedded rows are skipped."""
        if not rows:
            return self
        kept = [row for row in rows if row[2] is not None]
        positions, document_ids = dict(self.positions), list(self.document_ids)
        for _, document_id, _ in kept:
            if document_id not in positions:
                positions[document_id] = len(document_ids)
                document_ids.append(document_id)
        ids = np.fromiter((row[0] for row in kept), dtype=np.int64, count=len(kept))
        docs = np.fromiter((positions[row[1]] for row in kept), dtype=np.int32, count=len(kept))
        blob = b"".join(row[2] for row in kept if row[2] is not None)
        added = np.frombuffer(blob, dtype="<f2").reshape(len(kept), -1).astype(np.float32)
        matrix = added if self.matrix.size == 0 else np.vstack([self.matrix, added])
        return OrgVectors(
            last_id=max(self.last_id, rows[-1][0]),
            ids=np.concatenate([self.ids, ids]),
            documents=np.concatenate([self.documents, docs]),
            matrix=matrix,
            alive=np.concatenate([self.alive, np.ones(len(kept), dtype=np.bool_)]),
            document_ids=document_ids,
            positions=positions,
        )

    def forget(self, chunk_ids: Collection[int]) -> None:
        where = np.searchsorted(self.ids, np.fromiter(chunk_ids, dtype=np.int64))
        where = where[where < len(self.ids)]
        self.alive[where[np.isin(self.ids[where], list(chunk_ids))]] = False

    def needs_rebuild(self) -> bool:
        return len(self.alive) > 0 and (~self.alive).sum() > REBUILD_WHEN_DEAD * len(self.alive)

    def nearest(
        self, query: NDArray[np.float32], documents: Collection[uuid.UUID] | None, limit: int
    ) -> list[tuple[int, float]]:
        if self.matrix.size == 0:
            return []
        scores = np.where(self.alive, self.matrix @ query, -np.inf)
        if documents is not None:
            wanted = np.array([self.positions[d] for d in documents if d in self.positions], dtype=np.int32)
            scores = np.where(np.isin(self.documents, wanted), scores, -np.inf)
        top = min(limit, len(scores))
        best = np.argpartition(-scores, top - 1)[:top]
        best = best[np.argsort(-scores[best])]
        return [(int(self.ids[i]), float(scores[i])) for i in best if np.isfinite(scores[i])]

    def centroids(self) -> NDArray[np.float32]:
        """Each document's mean chunk vector, normalised (rows of documents with no live chunk are zero)."""
        sums = np.zeros((len(self.document_ids), self.matrix.shape[1]), dtype=np.float32)
        np.add.at(sums, self.documents[self.alive], self.matrix[self.alive])
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        normalised: NDArray[np.float32] = sums / np.maximum(norms, 1e-12)
        return normalised


class VectorIndex:
    def __init__(self) -> None:
        self._orgs: dict[uuid.UUID, OrgVectors] = {}
        self._locks: dict[uuid.UUID, asyncio.Lock] = {}

    async def current(self, repository: ChunkRepository) -> OrgVectors:
        org = repository.organization_id
        async with self._locks.setdefault(org, asyncio.Lock()):
            cached = self._orgs.get(org, OrgVectors())
            if cached.needs_rebuild():
                cached = OrgVectors()
            if await repository.last_chunk_id() == cached.last_id:
                return cached
            rows = _plain(await repository.vectors_after(cached.last_id))
            updated = await anyio.to_thread.run_sync(cached.appended, rows)
            self._orgs[org] = updated
            return updated

    def forget(self, organization_id: uuid.UUID, chunk_ids: Collection[int]) -> None:
        """Chunks found deleted: out of every later result, without reloading the matrix."""
        cached = self._orgs.get(organization_id)
        if cached is not None and chunk_ids:
            cached.forget(chunk_ids)


def _plain(rows: Sequence[Row[int, uuid.UUID, bytes | None]]) -> list[tuple[int, uuid.UUID, bytes | None]]:
    return [(row[0], row[1], row[2]) for row in rows]
