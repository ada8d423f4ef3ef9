from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

Security = Literal["ssl", "starttls", "none"]


class MailboxIn(BaseModel):
    project_id: uuid.UUID
    name: str = Field(min_length=1, max_length=200)
    host: str = Field(min_length=1, max_length=255)
    port: int = Field(993, ge=1, le=65535)
    security: Security = "ssl"
    username: str = Field(min_length=1, max_length=320)
    password: SecretStr = Field(min_length=1, max_length=1000)
    folder: str = Field("INBOX", min_length=1, max_length=200)
    move_to: str | None = Field(None, max_length=200, description="Move stored emails here (else mark read)")
    from_contains: str | None = Field(None, max_length=320)
    subject_contains: str | None = Field(None, max_length=320)
    attachments_only: bool = Field(False, description="Store only the attachments, not the email itself")
    verify: bool = Field(True, description="Log in once before saving, to report a wrong password now")


class MailboxUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    password: SecretStr | None = Field(None, min_length=1, max_length=1000)
    folder: str | None = Field(None, min_length=1, max_length=200)
    move_to: str | None = Field(None, max_length=200)
    from_contains: str | None = Field(None, max_length=320)
    subject_contains: str | None = Field(None, max_length=320)
    attachments_only: bool | None = None
    enabled: bool | None = None


class MailboxOut(BaseModel):
    """Never the password."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID
    name: str
    host: str
    port: int
    security: str
    username: str
    folder: str
    move_to: str | None
    from_contains: str | None
    subject_contains: str | None
    attachments_only: bool
    enabled: bool
    last_polled_at: datetime | None
    last_error: str | None
    emails_ingested: int
    created_at: datetime
