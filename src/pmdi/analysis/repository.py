from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import Row, select

from pmdi.analysis.models import DocumentAnalysis
from pmdi.core.tenancy import OrgRepository
from pmdi.documents.models import Document


class AnalysisRepository(OrgRepository[DocumentAnalysis]):
    model = DocumentAnalysis

    async def for_document(self, document_id: uuid.UUID) -> DocumentAnalysis | None:
        stmt = self.select().where(DocumentAnalysis.document_id == document_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def cached(self, cache_key: str) -> DocumentAnalysis | None:
        stmt = self.select().where(DocumentAnalysis.cache_key == cache_key).limit(1)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def with_documents(
        self, project_ids: Collection[uuid.UUID] | None
    ) -> Sequence[Row[DocumentAnalysis, Document]]:
        """Every analysis with its document, for questions over the extracted items."""
        stmt = select(DocumentAnalysis, Document).join(Document, Document.id == DocumentAnalysis.document_id)
        stmt = stmt.where(DocumentAnalysis.organization_id == self.organization_id)
        if project_ids is not None:
            stmt = stmt.where(Document.project_id.in_(list(project_ids)))
        return (await self.session.execute(stmt.order_by(Document.created_at))).all()

    async def latest(self, project_id: uuid.UUID, limit: int) -> Sequence[Row[DocumentAnalysis, Document]]:
        """A project's most recent analyses by document date (undated ones by upload time, after)."""
        stmt = (
            select(DocumentAnalysis, Document)
            .join(Document, Document.id == DocumentAnalysis.document_id)
            .where(
                DocumentAnalysis.organization_id == self.organization_id, Document.project_id == project_id
            )
            .order_by(
                DocumentAnalysis.document_date.is_(None),
                DocumentAnalysis.document_date.desc(),
                Document.created_at.desc(),
            )
            .limit(limit)
        )
        return (await self.session.execute(stmt)).all()
