from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.api_keys.errors import ApiKeyNotFound
from pmdi.api_keys.models import ApiKey
from pmdi.core.tenancy import OrgRepository


class ApiKeyRepository(OrgRepository[ApiKey]):
    model = ApiKey
    not_found = ApiKeyNotFound


async def find_by_hash(session: AsyncSession, key_hash: str) -> ApiKey | None:
    """The one unscoped lookup: resolving a presented key is what establishes the organisation."""
    result = await session.execute(select(ApiKey).where(ApiKey.key_hash == key_hash))
    return result.scalar_one_or_none()
