"""Job records. The database row is the source of truth; a queue delivery only points at it."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.jobs.models import Job, JobState
from pmdi.jobs.repository import JobRepository


async def create_processing_job(
    session: AsyncSession, organization_id: uuid.UUID, document_id: uuid.UUID
) -> Job:
    return await JobRepository(session, organization_id).add(
        Job(document_id=document_id, state=JobState.QUEUED)
    )
