from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from pmdi.core.tenancy import OrgRepository
from pmdi.documents.errors import DocumentNotFound
from pmdi.documents.models import Document, DocumentContent
from pmdi.documents.schemas import DocumentFilters, DocumentOut

LISTED_COLUMNS = [column for column in Document.__table__.c if column.name in DocumentOut.model_fields]


def _like_pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class DocumentRepository(OrgRepository[Document]):
    model = Document
    not_found = DocumentNotFound

    def filtered(self, filters: DocumentFilters) -> Select[Document]:
        stmt = self.select()
        if filters.project_id is not None:
            stmt = stmt.where(Document.project_id == filters.project_id)
        if filters.status is not None:
            stmt = stmt.where(Document.status == filters.status)
        if filters.type is not None:
            stmt = stmt.where(Document.document_type == filters.type)
        if filters.media_type is not None:
            stmt = stmt.where(Document.media_type == filters.media_type)
        if filters.q:
            stmt = stmt.where(func.lower(Document.filename).like(_like_pattern(filters.q), escape="\\"))
        return stmt.order_by(Document.created_at.desc(), Document.id)

    def listed(self, filters: DocumentFilters) -> Select[Any]:
        """The columns a listing shows, without the ORM objects (see `page_rows`)."""
        return self.filtered(filters).with_only_columns(*LISTED_COLUMNS)

    async def find_by_content(self, project_id: object, sha256: str) -> Document | None:
        stmt = self.select().where(Document.project_id == project_id, Document.sha256 == sha256)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def references(self, storage_key: str) -> int:
        stmt = select(func.count()).where(
            Document.organization_id == self.organization_id, Document.storage_key == storage_key
        )
        return int((await self.session.execute(stmt)).scalar_one())


class DocumentContentRepository(OrgRepository[DocumentContent]):
    model = DocumentContent

    async def for_document(self, document_id: object) -> DocumentContent | None:
        stmt = self.select().where(DocumentContent.document_id == document_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()
