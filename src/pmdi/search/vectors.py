"""Exact nearest-neighbour search over each organisation's chunk vectors, held in memory per process.

Neither this Python's sqlite3 (no extension loading, so no sqlite-vec) nor the PostgreSQL servers we target
(no pgvector) offer a vector index, so vectors live in the chunk table (float16) and every process keeps a
float32 matrix per organisation. A brute-force scan of 100k x 384 takes ~20 ms; the cache is refreshed from a
(count, max id) check per query, appending new rows and reloading only after deletions.
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


def to_blob(vector: NDArray[np.float32]) -> bytes:
    return vector.astype("<f2").tobytes()


@dataclass
class OrgVectors:
    version: tuple[int, int] = (0, 0)
    ids: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    documents: NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    matrix: NDArray[np.float32] = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    document_ids: list[uuid.UUID] = field(default_factory=list)
    positions: dict[uuid.UUID, int] = field(default_factory=dict)

    def append(self, rows: list[tuple[int, uuid.UUID, bytes]]) -> None:
        if not rows:
            return
        for _, document_id, _ in rows:
            if document_id not in self.positions:
                self.positions[document_id] = len(self.document_ids)
                self.document_ids.append(document_id)
        ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        docs = np.fromiter((self.positions[row[1]] for row in rows), dtype=np.int32, count=len(rows))
        matrix = np.frombuffer(b"".join(row[2] for row in rows), dtype="<f2").reshape(len(rows), -1)
        self.ids = np.concatenate([self.ids, ids])
        self.documents = np.concatenate([self.documents, docs])
        added = matrix.astype(np.float32)
        self.matrix = added if self.matrix.size == 0 else np.vstack([self.matrix, added])

    def mask(self, documents: Collection[uuid.UUID]) -> NDArray[np.bool_]:
        wanted = [self.positions[d] for d in documents if d in self.positions]
        return np.isin(self.documents, np.array(wanted, dtype=np.int32))

    def nearest(
        self, query: NDArray[np.float32], documents: Collection[uuid.UUID] | None, limit: int
    ) -> list[tuple[int, float]]:
        if self.matrix.size == 0:
            return []
        scores = self.matrix @ query
        if documents is not None:
            scores = np.where(self.mask(documents), scores, -np.inf)
        top = min(limit, len(scores))
        best = np.argpartition(-scores, top - 1)[:top]
        best = best[np.argsort(-scores[best])]
        return [(int(self.ids[i]), float(scores[i])) for i in best if np.isfinite(scores[i])]

    def centroids(self) -> NDArray[np.float32]:
        sums = np.zeros((len(self.document_ids), self.matrix.shape[1]), dtype=np.float32)
        np.add.at(sums, self.documents, self.matrix)
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
            version = await repository.vector_version()
            if version == cached.version:
                return cached
            count, top = cached.version
            fresh = OrgVectors() if version[0] < count or version[1] == top else cached
            rows = _rows(await repository.vectors_after(fresh.version[1]))
            if fresh is cached and len(rows) != version[0] - count:
                fresh, rows = OrgVectors(), _rows(await repository.vectors_after(0))
            updated = OrgVectors(**vars(fresh))
            await anyio.to_thread.run_sync(updated.append, rows)
            # From what was read, not from the first query: rows committed in between are already included.
            updated.version = (len(updated.ids), int(updated.ids.max()) if len(updated.ids) else 0)
            self._orgs[org] = updated
            return updated


def _rows(rows: Sequence[Row[int, uuid.UUID, bytes | None]]) -> list[tuple[int, uuid.UUID, bytes]]:
    return [(row[0], row[1], row[2]) for row in rows if row[2] is not None]
