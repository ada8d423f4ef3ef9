"""Answers written by the organisation's language model, when one is configured, from the retrieved chunks."""

from __future__ import annotations

import uuid

import anyio
import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.config import LLMSettings
from pmdi.core.crypto import SecretUnreadable
from pmdi.core.state import AppState
from pmdi.llm.breaker import key_of
from pmdi.llm.errors import LLMError, LLMUnavailable
from pmdi.llm.org_settings import effective_analysis
from pmdi.llm.service import record_usage, spent_this_month
from pmdi.search import generative
from pmdi.search.schemas import Answer, Citation
from pmdi.search.service import Ranked

NOT_FOUND = "Not found in your documents."
UNVERIFIED = "The language model's answer quoted nothing found in your documents; showing matching sentences."


async def written_answer(
    session: AsyncSession, state: AppState, organization_id: uuid.UUID, question: str, ranked: list[Ranked]
) -> tuple[Answer | None, str | None]:
    """(answer, None); or (None, why not) when the extractive answer stands in; (None, None) with no model."""
    if not ranked:
        return None, None
    try:
        settings = await effective_analysis(session, state.settings, organization_id)
    except SecretUnreadable as exc:
        return None, exc.detail
    if settings.analyzer != "llm":
        return None, None
    llm = state.breaker.usable(settings.llm)
    if llm is None:
        return None, "Every configured language model failed repeatedly; retrying after a cool-down."
    budget = llm.monthly_budget_usd
    if budget is not None and await spent_this_month(session, organization_id) >= budget:
        return None, f"The monthly LLM budget of {budget:g} USD is spent."
    try:
        written = await _call(state, llm, question, ranked)
    except LLMError as exc:
        return None, f"The language model failed ({exc.reason}); showing matching sentences instead."
    await record_usage(session, organization_id, None, written.usage)
    return _checked(question, written.draft, ranked)


async def _call(state: AppState, llm: LLMSettings, question: str, ranked: list[Ranked]) -> generative.Written:
    key = key_of(llm.provider, llm.model)
    sources = [item.chunk.text for item in ranked]
    deadline = llm.timeout_seconds * (llm.max_retries + 1) + 5
    try:
        with anyio.fail_after(deadline):
            written = await anyio.to_thread.run_sync(
                generative.write, llm, question, sources, abandon_on_cancel=True
            )
    except TimeoutError as exc:
        state.breaker.record(key, ok=False)
        raise LLMUnavailable(f"no answer within {deadline:g} s") from exc
    except LLMUnavailable:
        state.breaker.record(key, ok=False)
        raise
    state.breaker.record(key, ok=True)
    return written


def _checked(
    question: str, draft: generative.Draft, ranked: list[Ranked]
) -> tuple[Answer | None, str | None]:
    if not draft.found:
        return Answer(question=question, found=False, answer=NOT_FOUND, kind="generative", citations=[]), None
    citations = []
    for cited in draft.citations:
        if not 1 <= cited.source <= len(ranked):
            continue
        chunk, document = ranked[cited.source - 1].chunk, ranked[cited.source - 1].document
        span = generative.locate(cited.quote, chunk.text)
        if span is not None:
            start, end = span
            citations.append(
                Citation(
                    document_id=document.id,
                    filename=document.filename,
                    page=chunk.page,
                    quote=chunk.text[start:end],
                    start=chunk.start + start,
                    end=chunk.start + end,
                )
            )
    if not citations or not draft.answer.strip():
        return None, UNVERIFIED
    return Answer(
        question=question, found=True, answer=draft.answer.strip(), kind="generative", citations=citations
    ), None
