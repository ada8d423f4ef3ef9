"""Chunk storage and keyword matching, scoped to one organisation at construction."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, delete, func, literal_column, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.analysis.models import DocumentAnalysis
from pmdi.documents.models import Document
from pmdi.search.models import FTS_TABLE, SearchChunk
from pmdi.search.schemas import SearchFilters

_ENGLISH: ColumnElement[Any] = literal_column("'english'::regconfig")


class ChunkRepository:
    def __init__(self, session: AsyncSession, organization_id: uuid.UUID) -> None:
        self.session = session
        self.organization_id = organization_id

    def select(self) -> Select[SearchChunk]:
        return select(SearchChunk).where(SearchChunk.organization_id == self.organization_id)

    async def replace(self, document_id: uuid.UUID, chunks: Sequence[SearchChunk]) -> None:
        """Old chunks out, new ones in, inside the caller's transaction: readers see one or the other."""
        await self.session.execute(
            delete(SearchChunk).where(
                SearchChunk.organization_id == self.organization_id, SearchChunk.document_id == document_id
            )
        )
        for chunk in chunks:
            chunk.organization_id, chunk.document_id = self.organization_id, document_id
        self.session.add_all(chunks)
        await self.session.flush()

    async def by_ids(self, ids: Collection[int]) -> Sequence[Row[SearchChunk, Document]]:
        stmt = (
            select(SearchChunk, Document)
            .join(Document, Document.id == SearchChunk.document_id)
            .where(SearchChunk.organization_id == self.organization_id, SearchChunk.id.in_(list(ids)))
        )
        return (await self.session.execute(stmt)).all()

    async def for_document(self, document_id: uuid.UUID) -> Sequence[SearchChunk]:
        stmt = self.select().where(SearchChunk.document_id == document_id).order_by(SearchChunk.ordinal)
        return (await self.session.execute(stmt)).scalars().all()

    async def vector_version(self) -> tuple[int, int]:
        """(count, max id) of embedded chunks; ids only grow, so any insert or delete changes it."""
        stmt = select(func.count(SearchChunk.id), func.coalesce(func.max(SearchChunk.id), 0)).where(
            SearchChunk.organization_id == self.organization_id, SearchChunk.embedding.is_not(None)
        )
        count, top = (await self.session.execute(stmt)).one()
        return int(count), int(top)

    async def vectors_after(self, after_id: int) -> Sequence[Row[int, uuid.UUID, bytes | None]]:
        stmt = (
            select(SearchChunk.id, SearchChunk.document_id, SearchChunk.embedding)
            .where(
                SearchChunk.organization_id == self.organization_id,
                SearchChunk.embedding.is_not(None),
                SearchChunk.id > after_id,
            )
            .order_by(SearchChunk.id)
        )
        return (await self.session.execute(stmt)).all()

    async def keyword(
        self, terms: Sequence[str], phrase: bool, documents: Collection[uuid.UUID] | None, limit: int
    ) -> list[int]:
        """Chunk ids best first; `phrase` asks for the terms adjacent and in order."""
        if self.session.get_bind().dialect.name == "sqlite":
            stmt = self._fts5(terms, phrase)
        else:
            stmt = self._tsquery(terms, phrase)
        if documents is not None:
            stmt = stmt.where(SearchChunk.document_id.in_(list(documents)))
        return list((await self.session.execute(stmt.limit(limit))).scalars().all())

    def _fts5(self, terms: Sequence[str], phrase: bool) -> Select[int]:
        fts = table(FTS_TABLE, literal_column("rowid"))
        # Terms are \w+ only, and quoted: nothing a user types can become FTS5 query syntax.
        query = f'"{" ".join(terms)}"' if phrase else " OR ".join(f'"{term}"' for term in terms)
        match: ColumnElement[Any] = literal_column(FTS_TABLE).op("MATCH")(query)
        return (
            select(SearchChunk.id)
            .select_from(fts)
            .join(SearchChunk, SearchChunk.id == literal_column(f"{FTS_TABLE}.rowid"))
            .where(match, SearchChunk.organization_id == self.organization_id)
            .order_by(func.bm25(literal_column(FTS_TABLE)))
        )

    def _tsquery(self, terms: Sequence[str], phrase: bool) -> Select[int]:
        # The same expression as the GIN index, literal for literal, or PostgreSQL will not use the index.
        body = SearchChunk.context.concat(literal_column("' '")).concat(SearchChunk.text)
        vector = func.to_tsvector(_ENGLISH, body)
        if phrase:
            query = func.phraseto_tsquery(_ENGLISH, " ".join(terms))
        else:
            query = func.to_tsquery(_ENGLISH, " | ".join(terms))
        return (
            select(SearchChunk.id)
            .where(vector.op("@@")(query), SearchChunk.organization_id == self.organization_id)
            .order_by(func.ts_rank_cd(vector, query).desc(), SearchChunk.id)
        )

    async def documents_matching(self, filters: SearchFilters) -> list[uuid.UUID]:
        stmt = (
            select(Document.id)
            .outerjoin(DocumentAnalysis, DocumentAnalysis.document_id == Document.id)
            .where(Document.organization_id == self.organization_id)
        )
        if filters.project is not None:
            stmt = stmt.where(Document.project_id == filters.project)
        if filters.type is not None:
            stmt = stmt.where(Document.document_type == filters.type)
        if filters.date_from is not None:
            stmt = stmt.where(DocumentAnalysis.document_date >= filters.date_from)
        if filters.date_to is not None:
            stmt = stmt.where(DocumentAnalysis.document_date <= filters.date_to)
        if filters.owner is None:
            return list((await self.session.execute(stmt)).scalars().all())
        rows = (await self.session.execute(stmt.add_columns(DocumentAnalysis.result))).all()
        wanted = filters.owner.casefold()
        return [row[0] for row in rows if row[1] is not None and wanted in _owners(row[1])]


def _owners(result: dict[str, Any]) -> str:
    """Every owner named in an analysis, lower-cased and joined, for a substring test."""
    names = [item.get("owner") or "" for kind in ("action_items", "risks") for item in result.get(kind, [])]
    return "\n".join(names).casefold()
