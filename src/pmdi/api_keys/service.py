from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.api_keys.errors import RoleAboveYours
from pmdi.api_keys.models import ApiKey
from pmdi.api_keys.repository import ApiKeyRepository, find_by_hash
from pmdi.api_keys.schemas import ApiKeyCreate
from pmdi.audit.service import record_in_org
from pmdi.auth.errors import InvalidToken
from pmdi.auth.models import User
from pmdi.auth.principal import KeyGrant, OrgContext, Person, Principal
from pmdi.auth.secrets import new_token, sha256_hex
from pmdi.core.db import utcnow

KEY_PREFIX = "pmdi_"


async def create(session: AsyncSession, ctx: OrgContext, data: ApiKeyCreate) -> tuple[ApiKey, str]:
    if data.role.rank > ctx.role.rank:
        raise RoleAboveYours()
    key = KEY_PREFIX + new_token(32)
    api_key = ApiKey(
        created_by_id=ctx.user_id,
        name=data.name.strip(),
        prefix=key[:12],
        key_hash=sha256_hex(key),
        role=data.role,
        expires_at=data.expires_at,
    )
    await ApiKeyRepository(session, ctx.organization_id).add(api_key)
    await record_in_org(session, ctx, "api_key.created", ("api_key", api_key.id), {"role": data.role})
    return api_key, key


async def list_keys(session: AsyncSession, ctx: OrgContext) -> Sequence[ApiKey]:
    repo = ApiKeyRepository(session, ctx.organization_id)
    return await repo.list(repo.select().order_by(ApiKey.created_at.desc()))


async def revoke(session: AsyncSession, ctx: OrgContext, api_key: ApiKey) -> None:
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
        await record_in_org(session, ctx, "api_key.revoked", ("api_key", api_key.id))
    await session.flush()


async def authenticate(session: AsyncSession, presented: str) -> Principal:
    api_key = await find_by_hash(session, sha256_hex(presented))
    now = utcnow()
    if api_key is None or api_key.revoked_at is not None:
        raise InvalidToken("The API key is invalid or revoked.")
    if api_key.expires_at is not None and api_key.expires_at <= now:
        raise InvalidToken("The API key has expired.")
    user = await session.get(User, api_key.created_by_id)
    if user is None or not user.is_active:
        raise InvalidToken("The API key's owner is no longer active.")
    # Recording every use would write on every read; a minute's precision is enough.
    if api_key.last_used_at is None or now - api_key.last_used_at > timedelta(minutes=1):
        api_key.last_used_at = now
    return Principal(Person.of(user), api_key=KeyGrant.of(api_key), expires_at=api_key.expires_at)
