"""The `analyze` pipeline stage: the stored extraction → the analysis contract, replaced atomically."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.analysis.base import get_analyzer
from pmdi.analysis.service import replace_analysis
from pmdi.config import AnalysisSettings
from pmdi.documents.models import Document, DocumentStatus
from pmdi.documents.repository import DocumentContentRepository
from pmdi.events.schemas import EventType
from pmdi.extraction.model import ExtractedDocument
from pmdi.jobs.errors import PermanentStageError
from pmdi.jobs.pipeline import Stage, StageInput


def analyze_content(content: dict[str, Any], settings: AnalysisSettings, filename: str) -> dict[str, Any]:
    """Runs in the sandbox subprocess."""
    document = ExtractedDocument.from_dict(content)
    return get_analyzer(settings).analyze(document, filename=filename).model_dump(mode="json")


async def _compute(stage_input: StageInput) -> dict[str, Any]:
    ref, state = stage_input.document, stage_input.state
    async with state.sessionmaker() as session:
        stored = await DocumentContentRepository(session, ref.organization_id).for_document(ref.id)
        if stored is None:
            raise PermanentStageError("The document has no extracted text to analyse.")
        content = {
            "text": stored.text,
            "pages": stored.pages,
            "blocks": stored.blocks,
            "metadata": stored.meta,
        }
    settings = state.settings.analysis
    timeout = settings.llm.document_timeout_seconds if settings.analyzer == "llm" else None
    return await state.processes.run(analyze_content, content, settings, ref.filename, limit_seconds=timeout)


async def _save(session: AsyncSession, document: Document, result: dict[str, Any]) -> dict[str, Any]:
    analysis = await replace_analysis(session, document, result)
    return {
        "analyzer": analysis.analyzer,
        "document_type": analysis.document_type,
        "action_items": len(analysis.action_items),
        "risks": len(analysis.risks),
        "decisions": len(analysis.decisions),
        "milestones": len(analysis.milestones),
    }


ANALYZE = Stage(
    name="analyze",
    running_status=DocumentStatus.ANALYZING,
    done_status=DocumentStatus.ANALYZED,
    compute=_compute,
    save=_save,
    done_event=EventType.ANALYSIS_READY,
)
