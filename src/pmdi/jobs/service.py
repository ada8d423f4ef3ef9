"""Job records seen from the API: create, list, cancel, reprocess. Queue hand-off happens after commit."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.audit.service import record_in_org
from pmdi.auth.principal import OrgContext
from pmdi.core.db import after_commit, utcnow
from pmdi.core.deps import Page
from pmdi.documents.models import Document, DocumentStatus
from pmdi.events.bus import EventBus
from pmdi.events.schemas import EventType
from pmdi.events.service import emit
from pmdi.jobs.dispatcher import Dispatcher
from pmdi.jobs.errors import AlreadyProcessing
from pmdi.jobs.models import Job, JobState
from pmdi.jobs.repository import JobRepository, JobStageRepository
from pmdi.jobs.schemas import JobDetail, JobOut, JobPage, JobStageOut, ReprocessResult


async def create_processing_job(
    session: AsyncSession, organization_id: uuid.UUID, document_id: uuid.UUID
) -> Job:
    return await JobRepository(session, organization_id).add(
        Job(document_id=document_id, state=JobState.QUEUED)
    )


def dispatch_after_commit(session: AsyncSession, dispatcher: Dispatcher) -> None:
    after_commit(session, dispatcher.kick)


async def list_jobs(
    session: AsyncSession, ctx: OrgContext, state: JobState | None, document_id: uuid.UUID | None, page: Page
) -> JobPage:
    repo = JobRepository(session, ctx.organization_id)
    items, total = await repo.page(repo.filtered(state, document_id), page.limit, page.offset)
    return JobPage(
        items=[JobOut.model_validate(j) for j in items], total=total, limit=page.limit, offset=page.offset
    )


async def job_detail(session: AsyncSession, ctx: OrgContext, job: Job) -> JobDetail:
    stages = await JobStageRepository(session, ctx.organization_id).for_job(job.id)
    return JobDetail(
        **JobOut.model_validate(job).model_dump(), stages=[JobStageOut.model_validate(s) for s in stages]
    )


async def _status_event(session: AsyncSession, bus: EventBus, document: Document) -> None:
    await emit(
        session,
        bus,
        document.organization_id,
        EventType.DOCUMENT_STATUS,
        {
            "document_id": str(document.id),
            "status": document.status,
        },
    )


async def requeue(
    session: AsyncSession, bus: EventBus, dispatcher: Dispatcher, ctx: OrgContext, document: Document
) -> bool:
    """Start a fresh run unless one is already waiting; refuse while one is running."""
    active = await JobRepository(session, ctx.organization_id).active_for_document(document.id)
    if active is not None and active.state == JobState.RUNNING:
        raise AlreadyProcessing()
    if active is not None:
        return False
    document.status, document.error_reason = DocumentStatus.QUEUED, None
    await create_processing_job(session, ctx.organization_id, document.id)
    await _status_event(session, bus, document)
    dispatch_after_commit(session, dispatcher)
    return True


async def reprocess_document(
    session: AsyncSession, bus: EventBus, dispatcher: Dispatcher, ctx: OrgContext, document: Document
) -> Document:
    if await requeue(session, bus, dispatcher, ctx, document):
        await record_in_org(session, ctx, "document.reprocess_requested", ("document", document.id))
    return document


async def reprocess_project(
    session: AsyncSession, bus: EventBus, dispatcher: Dispatcher, ctx: OrgContext, project_id: uuid.UUID
) -> ReprocessResult:
    stmt = select(Document).where(
        Document.organization_id == ctx.organization_id, Document.project_id == project_id
    )
    queued = skipped = 0
    for document in (await session.execute(stmt)).scalars():
        try:
            changed = await requeue(session, bus, dispatcher, ctx, document)
        except AlreadyProcessing:
            changed = False
        queued, skipped = queued + changed, skipped + (not changed)
    await record_in_org(
        session, ctx, "project.reprocess_requested", ("project", project_id), {"queued": queued}
    )
    return ReprocessResult(queued=queued, skipped_active=skipped)


async def cancel_document(
    session: AsyncSession, bus: EventBus, ctx: OrgContext, document: Document
) -> Document:
    """Waiting jobs stop at once; a running job stops at its next stage boundary."""
    job = await JobRepository(session, ctx.organization_id).active_for_document(document.id)
    if job is None:
        return document
    if job.state == JobState.RUNNING:
        job.cancel_requested = True
    else:
        job.state, job.finished_at = JobState.CANCELLED, utcnow()
        document.status = DocumentStatus.CANCELLED
        await _status_event(session, bus, document)
    await record_in_org(session, ctx, "document.cancel_requested", ("document", document.id))
    await session.flush()
    return document
