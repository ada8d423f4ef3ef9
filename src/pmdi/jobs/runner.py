"""Runs one job through the pipeline: claim, stages with a heartbeat, then success, retry or failure.

Delivery is at-least-once, so everything here tolerates running twice: the claim is conditional, finished
stages are skipped, and every write is fenced by the lease, so a worker that lost its job writes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from structlog.contextvars import bound_contextvars

from pmdi.core.db import commit, unit_of_work, utcnow
from pmdi.core.state import AppState
from pmdi.documents.models import Document, DocumentStatus
from pmdi.events.schemas import EventType
from pmdi.events.service import emit
from pmdi.jobs import queue
from pmdi.jobs.errors import StageError, TransientStageError
from pmdi.jobs.models import Job, JobStage, JobState, StageState
from pmdi.jobs.pipeline import DocumentRef, Stage, StageInput
from pmdi.jobs.repository import JobStageRepository
from pmdi.observability.metrics import (
    DOCUMENTS_FAILED,
    DOCUMENTS_PROCESSED,
    count_after_commit,
    observe_stage,
)

logger = logging.getLogger(__name__)


class LeaseLost(Exception):
    pass


class Cancelled(Exception):
    pass


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    return float(min(cap, base * 2 ** max(0, attempts - 1)))


class JobRunner:
    def __init__(self, state: AppState, stages: Sequence[Stage], worker_id: str) -> None:
        self.state, self.stages, self.worker_id = state, stages, worker_id
        self.lease = state.settings.worker.lease_seconds

    async def run(self, job_id: uuid.UUID) -> None:
        async with unit_of_work(self.state.sessionmaker) as session:
            job = await queue.claim(session, job_id, self.worker_id, self.lease)
        if job is None:
            return
        with bound_contextvars(job_id=str(job.id), document_id=str(job.document_id)):  # on every log line
            try:
                async with self._heartbeat(job.id), self._workdir() as workdir:
                    await self._run_stages(job, workdir)
            except (LeaseLost, Cancelled):
                return
            except StageError as exc:
                await self._fail_or_retry(job, exc)
            except Exception as exc:
                logger.exception("job %s crashed in its stage", job.id)
                await self._fail_or_retry(job, TransientStageError(f"Internal error ({type(exc).__name__})."))

    async def _run_stages(self, job: Job, workdir: Path) -> None:
        completed = False
        for index, stage in enumerate(self.stages):
            ref = await self._begin_stage(job, stage, index)
            if ref is None:
                continue
            started = time.monotonic()
            result = await stage.compute(StageInput(self.state, ref, workdir))
            completed = index == len(self.stages) - 1
            await self._finish_stage(job, stage, index, result, time.monotonic() - started, last=completed)
        if not completed:  # resumed with every stage already saved
            await self._succeed(job)

    @contextlib.asynccontextmanager
    async def _fenced(self, job: Job) -> AsyncIterator[tuple[AsyncSession, Job, Document]]:
        """A transaction that only commits while this worker still holds the lease."""
        async with unit_of_work(self.state.sessionmaker) as session:
            if not await queue.still_holds(session, job.id, self.worker_id, self.lease):
                raise LeaseLost()
            current = await session.get(Job, job.id, populate_existing=True)
            document = await session.get(Document, job.document_id, populate_existing=True)
            if current is None or document is None:
                raise LeaseLost()
            if current.cancel_requested:
                await self._cancel(session, current, document)
                raise Cancelled()
            yield session, current, document

    async def _cancel(self, session: AsyncSession, job: Job, document: Document) -> None:
        job.state, job.finished_at, job.worker_id, job.lease_expires_at = (
            JobState.CANCELLED,
            utcnow(),
            None,
            None,
        )
        document.status = DocumentStatus.CANCELLED
        await self._status_event(session, document, job)
        # The caller unwinds with an exception, so the cancellation is committed here.
        await commit(session)

    async def _begin_stage(self, job: Job, stage: Stage, index: int) -> DocumentRef | None:
        async with self._fenced(job) as (session, current, document):
            stages = JobStageRepository(session, job.organization_id)
            row = await stages.get_stage(job.id, stage.name)
            if row is not None and row.state == StageState.SUCCEEDED:
                return None
            if row is None:
                row = await stages.add(JobStage(job_id=job.id, stage=stage.name, state=StageState.RUNNING))
            row.state, row.attempts, row.started_at = StageState.RUNNING, row.attempts + 1, utcnow()
            row.error, row.worker_id = None, self.worker_id
            current.stage = stage.name
            document.status, document.error_reason = stage.running_status, None
            await self._status_event(session, document, current)
            await self._progress_event(session, current, stage.name, self._percent(index))
            return DocumentRef.of(document)

    async def _finish_stage(
        self, job: Job, stage: Stage, index: int, result: dict[str, Any], seconds: float, *, last: bool
    ) -> None:
        """The last stage completes the job in the same transaction: a document never reads as processed
        while its job still runs."""
        async with self._fenced(job) as (session, current, document):
            summary = await stage.save(session, document, result)
            row = await JobStageRepository(session, job.organization_id).get_stage(job.id, stage.name)
            assert row is not None
            row.state, row.finished_at, row.duration_ms = StageState.SUCCEEDED, utcnow(), int(seconds * 1000)
            row.result = summary
            document.status = stage.done_status
            current.progress = self._percent(index + 1)
            await self._progress_event(session, current, stage.name, current.progress)
            if stage.done_event is not None:
                payload = {"document_id": str(document.id), "job_id": str(job.id), **summary}
                await emit(session, self.state.events, document.organization_id, stage.done_event, payload)
            if last:
                await self._complete(session, current, document)
        observe_stage(stage.name, seconds)  # committed: a stage whose result was fenced off is not counted

    async def _succeed(self, job: Job) -> None:
        async with self._fenced(job) as (session, current, document):
            await self._complete(session, current, document)

    async def _complete(self, session: AsyncSession, current: Job, document: Document) -> None:
        current.state, current.progress, current.finished_at = JobState.SUCCEEDED, 100, utcnow()
        current.worker_id = current.lease_expires_at = None
        document.processed_at = utcnow()
        count_after_commit(session, DOCUMENTS_PROCESSED)
        await self._status_event(session, document, current)
        await emit(
            session,
            self.state.events,
            document.organization_id,
            EventType.DOCUMENT_PROCESSED,
            {
                "document_id": str(document.id),
                "status": document.status,
            },
        )

    async def _fail_or_retry(self, job: Job, error: StageError) -> None:
        settings = self.state.settings.worker
        with contextlib.suppress(LeaseLost, Cancelled):
            async with self._fenced(job) as (session, current, document):
                await self._mark_stage_failed(session, current, str(error))
                if error.permanent or current.attempts >= settings.max_attempts:
                    await fail(session, self.state, current, document, str(error))
                    return
                delay = backoff_seconds(
                    current.attempts, settings.retry_backoff_seconds, settings.retry_backoff_max_seconds
                )
                current.state, current.error = JobState.QUEUED, str(error)
                current.worker_id = current.lease_expires_at = None
                current.not_before = utcnow() + timedelta(seconds=delay)
                document.status = DocumentStatus.QUEUED
                await self._status_event(session, document, current, retry_in_seconds=delay)

    async def _mark_stage_failed(self, session: AsyncSession, job: Job, message: str) -> None:
        if job.stage is None:
            return
        row = await JobStageRepository(session, job.organization_id).get_stage(job.id, job.stage)
        if row is not None and row.state == StageState.RUNNING:
            row.state, row.error, row.finished_at = StageState.FAILED, message, utcnow()

    def _percent(self, done: int) -> int:
        return int(100 * done / max(1, len(self.stages)))

    async def _status_event(self, session: AsyncSession, document: Document, job: Job, **extra: Any) -> None:
        await emit(
            session,
            self.state.events,
            document.organization_id,
            EventType.DOCUMENT_STATUS,
            {
                "document_id": str(document.id),
                "job_id": str(job.id),
                "status": document.status,
                "stage": job.stage,
                "attempts": job.attempts,
                **extra,
            },
        )

    async def _progress_event(self, session: AsyncSession, job: Job, stage: str, percent: int) -> None:
        await emit(
            session,
            self.state.events,
            job.organization_id,
            EventType.JOB_PROGRESS,
            {
                "document_id": str(job.document_id),
                "job_id": str(job.id),
                "stage": stage,
                "progress": percent,
            },
        )

    @contextlib.asynccontextmanager
    async def _heartbeat(self, job_id: uuid.UUID) -> AsyncIterator[None]:
        async def beat() -> None:
            while True:
                await asyncio.sleep(self.lease / 3)
                async with unit_of_work(self.state.sessionmaker) as session:
                    if not await queue.still_holds(session, job_id, self.worker_id, self.lease):
                        return

        task = asyncio.create_task(beat())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @contextlib.asynccontextmanager
    async def _workdir(self) -> AsyncIterator[Path]:
        scratch = self.state.settings.data_dir / "work"
        scratch.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=scratch) as path:
            yield Path(path)


async def fail(session: AsyncSession, state: AppState, job: Job, document: Document, reason: str) -> None:
    """Final failure: the document keeps the reason so users see why."""
    job.state, job.error, job.finished_at = JobState.FAILED, reason, utcnow()
    job.worker_id = job.lease_expires_at = None
    document.status, document.error_reason = DocumentStatus.FAILED, reason
    count_after_commit(session, DOCUMENTS_FAILED)
    await emit(
        session,
        state.events,
        document.organization_id,
        EventType.DOCUMENT_FAILED,
        {
            "document_id": str(document.id),
            "job_id": str(job.id),
            "reason": reason,
        },
    )
