"""Finds work that fell through the cracks (dead workers, lost deliveries, restarts) and puts it back."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.core.db import unit_of_work, utcnow
from pmdi.core.state import AppState
from pmdi.documents.models import Document, DocumentStatus
from pmdi.events import service as events
from pmdi.jobs import queue
from pmdi.jobs.models import ACTIVE_JOB_STATES, Job, JobState
from pmdi.jobs.runner import fail
from pmdi.jobs.service import create_processing_job

# A document in one of these states is waiting for, inside or between stages; without an active job it is
# orphaned. That includes documents analysed by a version of pmdi that had no index stage yet.
UNFINISHED = (
    DocumentStatus.QUEUED,
    DocumentStatus.EXTRACTING,
    DocumentStatus.EXTRACTED,
    DocumentStatus.ANALYZING,
    DocumentStatus.ANALYZED,
    DocumentStatus.INDEXING,
)


async def reconcile(state: AppState) -> int:
    """One pass; returns how many jobs or documents it repaired."""
    settings = state.settings.worker
    repaired = 0
    async with unit_of_work(state.sessionmaker) as session:
        for job in await queue.expired_leases(session):
            if job.attempts >= settings.max_attempts:
                document = await session.get(Document, job.document_id)
                if document is not None and await queue.release_expired(session, job, state=JobState.FAILED):
                    reason = "Processing was interrupted repeatedly (the worker stopped responding)."
                    await fail(session, state, job, document, reason)
                    repaired += 1
            elif await queue.release_expired(session, job, state=JobState.QUEUED, not_before=None):
                repaired += 1
        for job_id in await queue.stale_dispatches(session, max(30.0, settings.lease_seconds)):
            repaired += await queue.requeue_dispatched(session, job_id)
    async with unit_of_work(state.sessionmaker) as session:
        repaired += await _orphaned_documents(session)
        await events.prune(session, state.settings.realtime.event_retention_hours)
    return repaired


async def _orphaned_documents(session: AsyncSession) -> int:
    """Documents left unfinished with no job that will ever finish them get a new job."""
    active = select(Job.id).where(Job.document_id == Document.id, Job.state.in_(ACTIVE_JOB_STATES))
    stmt = select(Document).where(Document.status.in_(UNFINISHED), ~active.exists()).limit(500)
    orphans = (await session.execute(stmt)).scalars().all()
    for document in orphans:
        document.status, document.updated_at = DocumentStatus.QUEUED, utcnow()
        await create_processing_job(session, document.organization_id, document.id)
    return len(orphans)
