from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select

from pmdi.core.tenancy import OrgRepository
from pmdi.jobs.errors import JobNotFound
from pmdi.jobs.models import ACTIVE_JOB_STATES, Job, JobStage


class JobRepository(OrgRepository[Job]):
    model = Job
    not_found = JobNotFound

    async def active_for_document(self, document_id: uuid.UUID) -> Job | None:
        stmt = self.select().where(Job.document_id == document_id, Job.state.in_(ACTIVE_JOB_STATES))
        return (
            await self.session.execute(stmt.order_by(Job.created_at.desc()).limit(1))
        ).scalar_one_or_none()

    def filtered(self, state: str | None, document_id: uuid.UUID | None) -> Select[Job]:
        stmt = self.select()
        if state is not None:
            stmt = stmt.where(Job.state == state)
        if document_id is not None:
            stmt = stmt.where(Job.document_id == document_id)
        return stmt.order_by(Job.created_at.desc(), Job.id)


class JobStageRepository(OrgRepository[JobStage]):
    model = JobStage

    async def for_job(self, job_id: uuid.UUID) -> Sequence[JobStage]:
        return await self.list(self.select().where(JobStage.job_id == job_id).order_by(JobStage.created_at))

    async def get_stage(self, job_id: uuid.UUID, stage: str) -> JobStage | None:
        stmt = self.select().where(JobStage.job_id == job_id, JobStage.stage == stage)
        return (await self.session.execute(stmt)).scalar_one_or_none()
