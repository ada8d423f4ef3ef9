"""Question answering. Structured questions are answered from the extracted items; the rest extractively: the
sentences of the best chunks that support the question best, quoted and cited, or "not found" when none is
relevant enough. No answer is ever written that the documents do not contain.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace

import anyio.to_thread
import numpy as np
import nupunkt
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.core.state import AppState
from pmdi.search import structured
from pmdi.search.items import answer_items
from pmdi.search.schemas import Answer, AskIn, Citation, SearchFilters
from pmdi.search.service import Ranked, rank
from pmdi.search.text import query_terms, stem, words
from pmdi.search.written import NOT_FOUND, written_answer

CHUNKS_READ = 8
MAX_SENTENCES = 2


@dataclass(frozen=True)
class Candidate:
    item: Ranked
    start: int  # in the chunk's text
    end: int
    text: str
    score: float = 0.0


async def ask(
    session: AsyncSession,
    state: AppState,
    organization_id: uuid.UUID,
    body: AskIn,
    user_id: uuid.UUID | None = None,
) -> Answer:
    """`user_id` is the asker, for "my open actions"."""
    today = dt.datetime.now(dt.UTC).date()
    query = structured.parse(body.question, today)
    if query is not None:
        answer = await answer_items(
            session, organization_id, body.question, query, body.project, today, user_id
        )
        if answer is not None:
            return answer
    filters = SearchFilters(project=body.project)
    ranked = await rank(session, state, organization_id, body.question, filters, CHUNKS_READ)
    generated, note = await written_answer(session, state, organization_id, body.question, ranked)
    if generated is not None:
        return generated
    best = await _supporting(state, body.question, ranked)
    found = bool(best)
    return Answer(
        question=body.question,
        found=found,
        answer=" ".join(" ".join(c.text.split()) for c in best) if found else NOT_FOUND,
        kind="extractive",
        citations=[_citation(c) for c in best],
        note=note,
    )


def _sentences(ranked: list[Ranked]) -> list[Candidate]:
    """Sentences within lines: a line break ends a list item or a table row whatever its punctuation."""
    found = []
    for item in ranked:
        text, line_start = item.chunk.text, 0
        for line in text.split("\n"):
            for start, end in nupunkt.sent_spans(line):
                piece = line[start:end].strip()
                if len(words(piece)) >= 3:
                    offset = line_start + line.index(piece, start)
                    found.append(Candidate(item, offset, offset + len(piece), piece))
            line_start += len(line) + 1
    return found


def _overlap(question_stems: set[str], sentence: str) -> float:
    if not question_stems:
        return 0.0
    return len(question_stems & {stem(w) for w in words(sentence)}) / len(question_stems)


async def _supporting(state: AppState, question: str, ranked: list[Ranked]) -> list[Candidate]:
    candidates = _sentences(ranked)
    if not candidates:
        return []
    stems = {stem(t) for t in query_terms(question)}
    lexical = np.array([_overlap(stems, c.text) for c in candidates], dtype=np.float32)
    if state.embedder is not None:
        texts = [question] + [f"{c.item.chunk.context}\n{c.text}" for c in candidates]
        vectors = await anyio.to_thread.run_sync(state.embedder.embed, texts)
        scores = 0.7 * (vectors[1:] @ vectors[0]) + 0.3 * lexical
    else:
        scores = lexical
    threshold = state.settings.search.answer_min_score
    best = [int(i) for i in np.argsort(-scores)[:MAX_SENTENCES] if scores[int(i)] >= threshold]
    return [replace(candidates[i], score=round(float(scores[i]), 4)) for i in best]


def _citation(candidate: Candidate) -> Citation:
    chunk, document = candidate.item.chunk, candidate.item.document
    return Citation(
        document_id=document.id,
        filename=document.filename,
        page=chunk.page,
        quote=candidate.text,
        start=chunk.start + candidate.start,
        end=chunk.start + candidate.end,
        score=candidate.score,
    )
