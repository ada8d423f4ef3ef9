from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from pmdi.core.tenancy import OrgRepository
from pmdi.documents.models import Document


class UsageRepository(OrgRepository[Document]):
    """What an organisation has stored, for its quotas."""

    model = Document

    async def documents_since(self, since: datetime) -> int:
        stmt = select(func.count()).where(
            Document.organization_id == self.organization_id, Document.created_at >= since
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def stored_bytes(self) -> int:
        stmt = select(func.coalesce(func.sum(Document.size_bytes), 0)).where(
            Document.organization_id == self.organization_id
        )
        return int((await self.session.execute(stmt)).scalar_one())
