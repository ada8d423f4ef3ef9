from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pmdi.events.schemas import EventType
from pmdi.registers.schemas import Level

PING = "ping"
SUBSCRIBABLE = (
    EventType.DOCUMENT_PROCESSED,
    EventType.DOCUMENT_FAILED,
    EventType.ACTION_ITEM_CREATED,
    EventType.ACTION_ITEM_UPDATED,
    EventType.RISK_CREATED,
    EventType.RISK_UPDATED,
)
SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}


class WebhookFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_severity: Level | None = Field(
        None, description="risk.* events only for risks at least this severe (high > medium > low)."
    )


def _subscribable(events: list[EventType] | None) -> list[EventType] | None:
    if events is None:
        return None
    unknown = [e.value for e in events if e not in SUBSCRIBABLE]
    if unknown:
        raise ValueError(f"not available to webhooks: {', '.join(unknown)}")
    return list(dict.fromkeys(events))


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000, description="http(s) URL receiving POSTs.")
    events: list[EventType] = Field(min_length=1, description=f"Any of: {', '.join(SUBSCRIBABLE)}.")
    filters: WebhookFilters = Field(default_factory=WebhookFilters)
    description: str = Field("", max_length=200)
    enabled: bool = True

    _events = field_validator("events")(_subscribable)


class WebhookUpdate(BaseModel):
    """Enabling a disabled webhook clears its failure count and reason."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(None, min_length=1, max_length=2000)
    events: list[EventType] | None = Field(None, min_length=1)
    filters: WebhookFilters | None = None
    description: str | None = Field(None, max_length=200)
    enabled: bool | None = None

    _events = field_validator("events")(_subscribable)


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    description: str
    events: list[str]
    filters: WebhookFilters
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    consecutive_failures: int
    secret_prefix: str = Field(description="The start of the signing secret, to tell secrets apart.")
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookOut):
    secret: str = Field(description="The signing secret. It is shown only once.")


class AttemptOut(BaseModel):
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    webhook_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    state: str
    attempts: int
    attempt_log: list[AttemptOut]
    last_status_code: int | None
    last_error: str | None
    not_before: datetime = Field(description="When a pending delivery's next attempt is due.")
    delivered_at: datetime | None
    redelivery_of_id: uuid.UUID | None
    payload: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    total: int
    limit: int
    offset: int
