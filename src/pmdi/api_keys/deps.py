from __future__ import annotations

import uuid

from pmdi.api_keys.models import ApiKey
from pmdi.api_keys.repository import ApiKeyRepository
from pmdi.auth.deps import OrgContextDep
from pmdi.core.deps import SessionDep


async def load_api_key(key_id: uuid.UUID, ctx: OrgContextDep, session: SessionDep) -> ApiKey:
    return await ApiKeyRepository(session, ctx.organization_id).get_or_raise(key_id)
