from __future__ import annotations

import uuid

from pmdi.auth.deps import OrgContextDep
from pmdi.core.deps import SessionDep
from pmdi.jobs.models import Job
from pmdi.jobs.repository import JobRepository


async def load_job(job_id: uuid.UUID, ctx: OrgContextDep, session: SessionDep) -> Job:
    return await JobRepository(session, ctx.organization_id).get_or_raise(job_id)
