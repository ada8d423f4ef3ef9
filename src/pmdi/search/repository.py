"""Chunk storage and keyword matching, scoped to one organisation at construction."""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, delete, func, literal_column, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.analysis.models import DocumentAnalysis
from pmdi.documents.models import Document
from pmdi.search.models import FTS_TABLE, SearchChunk
from pmdi.search.schemas import SearchFilters

_WORD = re.compile(r"\w+")
SCAN_LIMIT = 500
PHRASE_SCAN = 2_000


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

    async def last_chunk_id(self) -> int:
        """The organisation's largest chunk id: one index seek, and it grows with every insert."""
        stmt = select(func.max(SearchChunk.id)).where(SearchChunk.organization_id == self.organization_id)
        return int((await self.session.execute(stmt)).scalar_one() or 0)

    async def vectors_after(self, after_id: int) -> Sequence[Row[int, uuid.UUID, bytes | None]]:
        stmt = (
            select(SearchChunk.id, SearchChunk.document_id, SearchChunk.embedding)
            .where(SearchChunk.organization_id == self.organization_id, SearchChunk.id > after_id)
            .order_by(SearchChunk.id)
        )
        return (await self.session.execute(stmt)).all()

    async def keyword(
        self, terms: Sequence[str], phrase: bool, documents: Collection[uuid.UUID] | None, limit: int
    ) -> list[int]:
        """Chunk ids best first; `phrase` asks for the terms adjacent and in order.

        Without a document filter only the newest `SCAN_LIMIT` matches of any term are ranked: a term found in
        most chunks would otherwise cost a score for every one of them, for a ranking that says little. Phrase
        matches are few and are all ranked (capping them leads PostgreSQL to walk the table in id order).
        """
        scan = SCAN_LIMIT if documents is None and not phrase else None
        if self.session.get_bind().dialect.name == "sqlite":
            stmt = self._fts5(terms, phrase, scan)
        else:
            # A word the statistics have never seen gets a guessed frequency, and the guess picks a table scan
            # testing every row (140 ms at 100k chunks) over the GIN index that finds none in a millisecond.
            await self.session.execute(text("SET LOCAL enable_seqscan = off"))
            stmt = self._tsquery(terms, phrase, scan)
        if documents is not None:
            stmt = stmt.where(SearchChunk.document_id.in_(list(documents)))
        return list((await self.session.execute(stmt.limit(limit))).scalars().all())

    def _fts5(self, terms: Sequence[str], phrase: bool, scan: int | None) -> Select[int]:
        # Terms are \w+ only, and quoted: nothing a user types can become FTS5 query syntax.
        body = f'"{" ".join(terms)}"' if phrase else " OR ".join(f'"{term}"' for term in terms)
        query = f'org : "o{self.organization_id.hex}" AND body : ({body})'
        match: ColumnElement[Any] = literal_column(FTS_TABLE).op("MATCH")(query)
        rowid: ColumnElement[Any] = literal_column("rowid")
        found = select(rowid.label("chunk"), literal_column("rank").label("rank")).select_from(
            table(FTS_TABLE)
        )
        found = found.where(match).order_by(rowid.desc())
        matches = (found.limit(scan) if scan else found).subquery()
        return (
            select(SearchChunk.id)
            .join(matches, SearchChunk.id == matches.c.chunk)
            .where(SearchChunk.organization_id == self.organization_id)
            .order_by(matches.c.rank)
        )

    def _tsquery(self, terms: Sequence[str], phrase: bool, scan: int | None) -> Select[int]:
        vector: ColumnElement[Any] = literal_column("search_chunks.tsv")
        # Candidates come from the GIN index without positions (all terms for a phrase, any term otherwise);
        # checking a phrase's word order reads each candidate's vector, so at most PHRASE_SCAN are checked.
        candidates = _tsquery_literal("to_tsquery", (" & " if phrase else " | ").join(terms))
        found = select(SearchChunk.id.label("chunk"), vector.label("tsv")).where(
            vector.op("@@")(candidates), SearchChunk.organization_id == self.organization_id
        )
        if phrase:
            found = found.limit(PHRASE_SCAN)
        elif scan:
            found = found.order_by(SearchChunk.id.desc()).limit(scan)
        matches = found.subquery()
        query = _tsquery_literal("phraseto_tsquery", " ".join(terms)) if phrase else candidates
        stmt = select(SearchChunk.id).join(matches, SearchChunk.id == matches.c.chunk)
        if phrase:
            stmt = stmt.where(matches.c.tsv.op("@@")(query))
        return stmt.order_by(func.ts_rank_cd(matches.c.tsv, query).desc(), SearchChunk.id)

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


def _tsquery_literal(function: str, words: str) -> ColumnElement[Any]:
    """Inlined, not bound: with a parameter PostgreSQL soon switches to a generic plan that cannot see how
    rare the terms are. Terms are \\w+ only (checked), so the literal cannot be broken out of."""
    if not all(_WORD.fullmatch(word) for word in re.split(r" [|&] | ", words)):
        raise ValueError("search terms must be words")
    return literal_column(f"{function}('english'::regconfig, '{words}')")
