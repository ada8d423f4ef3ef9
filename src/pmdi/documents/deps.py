from __future__ import annotations

import uuid

from pmdi.auth.deps import OrgContextDep
from pmdi.core.deps import SessionDep
from pmdi.documents.models import Document
from pmdi.documents.repository import DocumentRepository


async def load_document(document_id: uuid.UUID, ctx: OrgContextDep, session: SessionDep) -> Document:
    return await DocumentRepository(session, ctx.organization_id).get_or_raise(document_id)
