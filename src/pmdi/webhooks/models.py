from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pmdi.core.db import Base, IdMixin, TimestampMixin, UTCDateTime, utcnow
from pmdi.core.tenancy import OrgScoped


class DeliveryState(enum.StrEnum):
    PENDING = "pending"  # waiting for its first attempt or a retry (`not_before`)
    DELIVERING = "delivering"  # a worker holds the lease and is sending it
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # every attempt failed
    CANCELLED = "cancelled"  # its webhook was disabled before it could be sent


FINISHED_STATES = (DeliveryState.SUCCEEDED, DeliveryState.FAILED, DeliveryState.CANCELLED)


class Webhook(OrgScoped, IdMixin, TimestampMixin, Base):
    """An organisation's HTTP endpoint for events. The signing secret is stored encrypted, as signing needs
    it in the clear."""

    __tablename__ = "webhooks"

    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(default=True)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    secret_prefix: Mapped[str] = mapped_column(String(16))
    # Deliveries that failed after all their attempts, in a row; a success resets it.
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class WebhookDelivery(OrgScoped, IdMixin, TimestampMixin, Base):
    """One event for one webhook: the outbox row a worker claims, and the delivery log's entry."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_state_not_before", "state", "not_before"),
        Index("ix_webhook_deliveries_webhook_created", "webhook_id", "created_at"),
    )

    webhook_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[uuid.UUID] = mapped_column()
    event_type: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20), default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    attempt_log: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status_code: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    redelivery_of_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="SET NULL")
    )
