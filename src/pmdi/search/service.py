"""Hybrid search: keyword (FTS5 / tsvector) and vector rankings fused by reciprocal rank."""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio.to_thread
import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.core.state import AppState
from pmdi.documents.models import Document
from pmdi.documents.repository import DocumentRepository
from pmdi.search.errors import EmptyQuery
from pmdi.search.models import SearchChunk
from pmdi.search.repository import ChunkRepository
from pmdi.search.schemas import DocumentGroup, SearchFilters, SearchHit, SearchResult, SimilarDocument
from pmdi.search.text import query_terms, snippet

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from pmdi.search.embeddings import Embedder
    from pmdi.search.vectors import OrgVectors

    Vector = NDArray[np.float32]

# A query naming an identifier ("RFI 47", "TS-252", "v2.3") is after that exact string: keyword counts more.
_IDENTIFIER = re.compile(r"\b(?=\w*\d)\w+\b")


@dataclass(frozen=True)
class Ranked:
    chunk: SearchChunk
    document: Document
    score: float
    similarity: float | None  # cosine to the query, when embeddings are on


async def rank(
    session: AsyncSession,
    state: AppState,
    organization_id: uuid.UUID,
    query: str,
    filters: SearchFilters,
    limit: int,
) -> list[Ranked]:
    terms = query_terms(query)
    if not terms:
        raise EmptyQuery()
    repository = ChunkRepository(session, organization_id)
    documents = await repository.documents_matching(filters) if filters.any() else None
    if documents is not None and not documents:
        return []
    candidates = state.settings.search.candidates
    # The vector side (embed the query, scan the matrix) runs in a thread while the database ranks keywords.
    embedder = state.embedder
    vectors = await state.vectors.current(repository) if embedder is not None else None
    found: list[tuple[Vector, list[tuple[int, float]]]] = []
    async with anyio.create_task_group() as group:
        if embedder is not None and vectors is not None:
            group.start_soon(_nearest_to_query, embedder, vectors, query, documents, candidates, found)
        keyword = await _keyword(repository, terms, documents, candidates)
    vector, near = found[0] if found else (None, [])
    ranked, complete = await _ranked_once(repository, state, query, keyword, near, limit)
    if not complete:  # rows found gone were forgotten by the cache: both rankings again, without them
        keyword = await _keyword(repository, terms, documents, candidates)
        if vector is not None:
            vectors = await state.vectors.current(repository)
            near = await anyio.to_thread.run_sync(vectors.nearest, vector, documents, candidates)
        ranked, _ = await _ranked_once(repository, state, query, keyword, near, limit)
    return ranked


async def _nearest_to_query(
    embedder: Embedder,
    vectors: OrgVectors,
    query: str,
    documents: list[uuid.UUID] | None,
    limit: int,
    into: list[tuple[Vector, list[tuple[int, float]]]],
) -> None:
    def embed_and_scan() -> tuple[Vector, list[tuple[int, float]]]:
        vector = embedder.embed([query])[0]
        return vector, vectors.nearest(vector, documents, limit)

    into.append(await anyio.to_thread.run_sync(embed_and_scan))


async def _ranked_once(
    repository: ChunkRepository,
    state: AppState,
    query: str,
    keyword: list[int],
    nearest: list[tuple[int, float]],
    limit: int,
) -> tuple[list[Ranked], bool]:
    """The ranking, and whether every ranked chunk still existed when its row was read.

    A chunk can be gone: deleted since the vector cache loaded it, or, as SQLite reads outside a write run
    statement by statement, re-indexed between the ranking and the fetch. The cache forgets it and the caller
    ranks once more, so a re-indexed document never drops out of a search.
    """
    settings = state.settings.search
    lists: list[tuple[float, list[int]]] = [(2.0 if _IDENTIFIER.search(query) else 1.0, keyword)]
    similarity = {chunk_id: score for chunk_id, score in nearest if score >= settings.min_similarity}
    if state.embedder is not None:
        lists.append((1.0, list(similarity)))
    fused = _fuse(lists, settings.rrf_k)[:limit]
    rows = {chunk.id: (chunk, document) for chunk, document in await repository.by_ids([c for c, _ in fused])}
    missing = [chunk_id for chunk_id, _ in fused if chunk_id not in rows]
    state.vectors.forget(repository.organization_id, missing)
    ranked = [Ranked(*rows[c], score, similarity.get(c)) for c, score in fused if c in rows]
    return ranked, not missing


async def _keyword(
    repository: ChunkRepository, terms: list[str], documents: list[uuid.UUID] | None, limit: int
) -> list[int]:
    """Chunks holding the query as a phrase first (names, identifiers: two or three words), then those holding
    any of its terms."""
    phrase = await repository.keyword(terms, True, documents, limit) if 1 < len(terms) <= 3 else []
    seen = set(phrase)
    rest = [i for i in await repository.keyword(terms, False, documents, limit) if i not in seen]
    return (phrase + rest)[:limit]


def _fuse(lists: list[tuple[float, list[int]]], k: int) -> list[tuple[int, float]]:
    scores: dict[int, float] = defaultdict(float)
    for weight, ids in lists:
        for position, chunk_id in enumerate(ids):
            scores[chunk_id] += weight / (k + position + 1)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


async def search(
    session: AsyncSession,
    state: AppState,
    organization_id: uuid.UUID,
    query: str,
    filters: SearchFilters,
    limit: int,
) -> SearchResult:
    ranked = await rank(session, state, organization_id, query, filters, limit)
    terms = query_terms(query)
    hits = [_hit(item, terms) for item in ranked]
    mode = "hybrid" if state.embedder is not None else "keyword"
    return SearchResult(query=query, mode=mode, hits=hits, documents=_groups(hits))


def _hit(item: Ranked, terms: list[str]) -> SearchHit:
    text, marks = snippet(item.chunk.text, terms)
    return SearchHit(
        chunk_id=item.chunk.id,
        document_id=item.document.id,
        project_id=item.document.project_id,
        filename=item.document.filename,
        document_type=item.document.document_type,
        page=item.chunk.page,
        context=item.chunk.context,
        snippet=text,
        highlights=marks,
        start=item.chunk.start,
        end=item.chunk.end,
        score=round(item.score, 6),
    )


def _groups(hits: list[SearchHit]) -> list[DocumentGroup]:
    groups: dict[uuid.UUID, DocumentGroup] = {}
    for hit in hits:
        group = groups.get(hit.document_id)
        if group is None:
            groups[hit.document_id] = DocumentGroup(
                document_id=hit.document_id,
                filename=hit.filename,
                document_type=hit.document_type,
                score=hit.score,
                pages=[hit.page],
                hits=1,
            )
            continue
        group.hits += 1
        if hit.page not in group.pages:
            group.pages.append(hit.page)
    return sorted(groups.values(), key=lambda g: (-g.score, -g.hits))


async def similar_documents(
    session: AsyncSession, state: AppState, organization_id: uuid.UUID, document: Document, limit: int
) -> list[SimilarDocument]:
    """Documents whose average chunk vector is closest to this one's; empty without embeddings."""
    if state.embedder is None:
        return []
    vectors = await state.vectors.current(ChunkRepository(session, organization_id))
    if document.id not in vectors.positions:
        return []
    centroids = await anyio.to_thread.run_sync(vectors.centroids)
    scores = centroids @ centroids[vectors.positions[document.id]]
    order = [int(i) for i in np.argsort(-scores) if vectors.document_ids[int(i)] != document.id]
    best = {vectors.document_ids[i]: float(scores[i]) for i in order[: limit * 2]}
    repository = DocumentRepository(session, organization_id)
    found = await repository.list(repository.select().where(Document.id.in_(list(best))))
    similar = [
        SimilarDocument(
            document_id=d.id, filename=d.filename, document_type=d.document_type, score=round(best[d.id], 4)
        )
        for d in found
    ]
    return sorted(similar, key=lambda s: -s.score)[:limit]
