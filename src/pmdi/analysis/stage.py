"""The `analyze` pipeline stage: the stored extraction → the analysis contract, replaced atomically."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.analysis.base import get_analyzer
from pmdi.analysis.llm import prompts
from pmdi.analysis.repository import AnalysisRepository
from pmdi.analysis.schemas import Analysis
from pmdi.analysis.service import replace_analysis
from pmdi.config import AnalysisSettings
from pmdi.core.crypto import SecretUnreadable
from pmdi.core.state import AppState
from pmdi.documents.models import Document, DocumentStatus
from pmdi.documents.repository import DocumentContentRepository
from pmdi.events.schemas import EventType
from pmdi.extraction.model import ExtractedDocument
from pmdi.jobs.errors import PermanentStageError
from pmdi.jobs.pipeline import Stage, StageInput
from pmdi.llm.org_settings import effective_analysis
from pmdi.llm.service import record_usage, spent_this_month
from pmdi.registers import observations, tracking

# The result's key for register observations: computed with the analysis, consumed by the save step, and
# never stored in the analysis itself.
_REGISTERS = "_registers"


def analyze_content(content: dict[str, Any], settings: AnalysisSettings, filename: str) -> dict[str, Any]:
    """Runs in the sandbox subprocess."""
    document = ExtractedDocument.from_dict(content)
    return get_analyzer(settings).analyze(document, filename=filename).model_dump(mode="json")


async def _compute(stage_input: StageInput) -> dict[str, Any]:
    content = await _content(stage_input)
    result = await _analyse(stage_input, content)
    analysis = Analysis.model_validate(result)
    result[_REGISTERS] = await observations.prepare(stage_input.state, analysis, content)
    return result


async def _content(stage_input: StageInput) -> dict[str, Any]:
    ref = stage_input.document
    async with stage_input.state.sessionmaker() as session:
        stored = await DocumentContentRepository(session, ref.organization_id).for_document(ref.id)
        if stored is None:
            raise PermanentStageError("The document has no extracted text to analyse.")
        return {"text": stored.text, "pages": stored.pages, "blocks": stored.blocks, "metadata": stored.meta}


async def _analyse(stage_input: StageInput, content: dict[str, Any]) -> dict[str, Any]:
    ref, state = stage_input.document, stage_input.state
    async with state.sessionmaker() as session:
        try:
            settings = await effective_analysis(session, state.settings, ref.organization_id)
        except SecretUnreadable as exc:
            return await _rules_instead(state, content, ref.filename, "secret_unreadable", exc.detail)
        if settings.analyzer == "llm":
            usable = state.breaker.usable(settings.llm)
            if usable is None:
                detail = "Every configured LLM provider failed repeatedly; retrying after a cool-down."
                return await _rules_instead(state, content, ref.filename, "circuit_open", detail)
            settings = settings.model_copy(update={"llm": usable})
            key = cache_key(ref.sha256, settings.llm.provider, settings.llm.model)
            cached = await AnalysisRepository(session, ref.organization_id).cached(key)
            if cached is not None:
                return _from_cache(cached.result)
            budget = settings.llm.monthly_budget_usd
            if budget is not None and await spent_this_month(session, ref.organization_id) >= budget:
                detail = f"The monthly LLM budget of {budget:g} USD is spent."
                return await _rules_instead(state, content, ref.filename, "budget_exhausted", detail)
    result = await _run(state, content, settings, ref.filename)
    state.breaker.observe(result.get("llm"))
    return result


async def _run(
    state: AppState, content: dict[str, Any], settings: AnalysisSettings, filename: str
) -> dict[str, Any]:
    timeout = settings.llm.document_timeout_seconds if settings.analyzer == "llm" else None
    return await state.processes.run(analyze_content, content, settings, filename, limit_seconds=timeout)


def cache_key(sha256: str, provider: str, model: str) -> str:
    return f"{sha256}:{provider}:{model}:{prompts.VERSION}"


def _from_cache(result: dict[str, Any]) -> dict[str, Any]:
    """The stored analysis of identical content by the same model and prompt; this run costs nothing."""
    spent = {"calls": 0, "tokens_in": 0, "tokens_out": 0, "cost_usd": 0.0, "seconds": 0.0, "per_call": []}
    llm = {**result["llm"], **spent}
    return {**result, "llm": {**llm, "cached": True}}


async def _rules_instead(
    state: AppState, content: dict[str, Any], filename: str, reason: str, detail: str
) -> dict[str, Any]:
    """The offline rules, recorded as a fallback from the LLM with the reason no call was made."""
    settings = state.settings.analysis.model_copy(update={"analyzer": "rules"})
    result = await _run(state, content, settings, filename)
    llm = {"provider": "", "model": "", "calls": 0, "cost_usd": 0.0}
    fallback = {"reason": reason, "detail": detail}
    return {**result, "analyzer": "rules (fallback from llm)", "llm": {**llm, "fallback": fallback}}


async def _save(session: AsyncSession, document: Document, result: dict[str, Any]) -> dict[str, Any]:
    """The analysis replaces the old one and is merged into the project's registers, in one transaction."""
    found = result.pop(_REGISTERS, [])
    llm = result.get("llm")
    key = None
    if llm is not None and result.get("analyzer") == "llm":
        key = cache_key(document.sha256, llm["provider"], llm["model"])
    analysis = await replace_analysis(session, document, result, cache_key=key)
    if llm is not None:
        await record_usage(session, document.organization_id, document.id, llm)
    mentioned_on = analysis.document_date or document.created_at.date()
    tracked = await tracking.track(session, document, found, mentioned_on)
    return {
        **tracked,
        "analyzer": analysis.analyzer,
        "document_type": analysis.document_type,
        "action_items": len(analysis.action_items),
        "risks": len(analysis.risks),
        "decisions": len(analysis.decisions),
        "milestones": len(analysis.milestones),
        **({"llm_calls": llm.get("calls", 0), "cost_usd": llm.get("cost_usd", 0.0)} if llm else {}),
    }


ANALYZE = Stage(
    name="analyze",
    running_status=DocumentStatus.ANALYZING,
    done_status=DocumentStatus.ANALYZED,
    compute=_compute,
    save=_save,
    done_event=EventType.ANALYSIS_READY,
)
