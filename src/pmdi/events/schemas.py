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
    # Register changes go to integrations (webhooks) only, never to the live stream (`announce`).
    ACTION_ITEM_CREATED = "action_item.created"
    ACTION_ITEM_UPDATED = "action_item.updated"
    RISK_CREATED = "risk.created"
    RISK_UPDATED = "risk.updated"


class EventOut(BaseModel):
    id: int
    type: EventType
    organization_id: uuid.UUID
    data: dict[str, Any]
    created_at: datetime
