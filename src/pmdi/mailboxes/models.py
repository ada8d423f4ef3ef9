from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pmdi.core.db import Base, IdMixin, TimestampMixin, UTCDateTime
from pmdi.core.tenancy import OrgScoped


class Mailbox(OrgScoped, IdMixin, TimestampMixin, Base):
    """An IMAP folder polled for a project. The password is encrypted; `last_uid` (within `uid_validity`) is
    the high-water mark, so an email is stored once even if flagging it read on the server fails."""

    __tablename__ = "mailboxes"

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer)
    security: Mapped[str] = mapped_column(String(10))  # ssl, starttls, none
    username: Mapped[str] = mapped_column(String(320))
    password_encrypted: Mapped[str] = mapped_column(Text)
    folder: Mapped[str] = mapped_column(String(200), default="INBOX")
    move_to: Mapped[str | None] = mapped_column(String(200))
    from_contains: Mapped[str | None] = mapped_column(String(320))
    subject_contains: Mapped[str | None] = mapped_column(String(320))
    attachments_only: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    uid_validity: Mapped[int | None] = mapped_column(BigInteger)
    poll_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    emails_ingested: Mapped[int] = mapped_column(Integer, default=0)
