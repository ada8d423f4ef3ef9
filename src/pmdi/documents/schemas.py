from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from pmdi.documents.models import DocumentStatus


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    project_id: uuid.UUID
    filename: str
    original_filename: str
    media_type: str
    size_bytes: int
    sha256: str
    status: DocumentStatus
    error_reason: str | None
    document_type: str | None
    title: str | None
    language: str | None
    page_count: int | None
    uploaded_by_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    processed_at: datetime | None


class DocumentText(BaseModel):
    """The canonical text; every block's `text` equals `text[start:end]`."""

    document_id: uuid.UUID
    text: str
    pages: list[dict[str, Any]]
    blocks: list[dict[str, Any]]
    metadata: dict[str, Any]


class UploadedDocument(BaseModel):
    document: DocumentOut
    duplicate: bool


class UploadResult(BaseModel):
    items: list[UploadedDocument]


class DocumentPage(BaseModel):
    items: list[DocumentOut]
    total: int
    limit: int
    offset: int


class DocumentFilters(BaseModel):
    project_id: uuid.UUID | None = None
    status: DocumentStatus | None = None
    type: str | None = None
    media_type: str | None = None
    q: str | None = None
