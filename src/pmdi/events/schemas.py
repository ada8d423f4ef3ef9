from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class EventType(enum.StrEnum):
    DOCUMENT_STATUS = "document.status"
    DOCUMENT_FAILED = "document.failed"
    DOCUMENT_PROCESSED = "document.processed"
    JOB_PROGRESS = "job.progress"
    ANALYSIS_READY = "analysis.ready"


class EventOut(BaseModel):
    id: int
    type: EventType
    organization_id: uuid.UUID
    data: dict[str, Any]
    created_at: datetime
