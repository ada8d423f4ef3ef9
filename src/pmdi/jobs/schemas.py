from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from pmdi.jobs.models import JobState


class JobStageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    stage: str
    state: str
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None
    error: str | None
    result: dict[str, Any]


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    document_id: uuid.UUID
    state: JobState
    stage: str | None
    progress: int
    attempts: int
    error: str | None
    cancel_requested: bool
    not_before: datetime | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobDetail(JobOut):
    stages: list[JobStageOut]


class JobPage(BaseModel):
    items: list[JobOut]
    total: int
    limit: int
    offset: int


class ReprocessResult(BaseModel):
    queued: int
    skipped_active: int
