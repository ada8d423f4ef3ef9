from __future__ import annotations

import uuid

from pmdi.analysis.models import DocumentAnalysis
from pmdi.core.tenancy import OrgRepository


class AnalysisRepository(OrgRepository[DocumentAnalysis]):
    model = DocumentAnalysis

    async def for_document(self, document_id: uuid.UUID) -> DocumentAnalysis | None:
        stmt = self.select().where(DocumentAnalysis.document_id == document_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def cached(self, cache_key: str) -> DocumentAnalysis | None:
        stmt = self.select().where(DocumentAnalysis.cache_key == cache_key).limit(1)
        return (await self.session.execute(stmt)).scalar_one_or_none()
