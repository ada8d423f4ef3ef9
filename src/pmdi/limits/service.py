"""Rate limits (429 with Retry-After) and organisation quotas on uploads (402 naming the quota)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.auth.principal import Principal
from pmdi.config import QuotaSettings
from pmdi.core.db import utcnow
from pmdi.core.state import AppState
from pmdi.limits.errors import QuotaExceeded, RateLimited
from pmdi.limits.repository import UsageRepository
from pmdi.observability.metrics import QUOTA_EXCEEDED, RATE_LIMITED


async def _enforce(state: AppState, key: str, limit: int, scope: str) -> None:
    settings = state.settings.limits
    if not settings.enabled:
        return
    retry_after = await state.limiter.hit(key, limit, settings.window_seconds)
    if retry_after is not None:
        RATE_LIMITED.labels(scope).inc()
        raise RateLimited(retry_after)


async def limit_principal(state: AppState, principal: Principal) -> None:
    """An API key has its own budget, so one script cannot starve its owner's browser session."""
    key = f"key:{principal.api_key.id}" if principal.api_key else f"user:{principal.user_id}"
    await _enforce(state, key, state.settings.limits.per_user, "user")


async def limit_address(state: AppState, address: str) -> None:
    await _enforce(state, f"ip:{address}", state.settings.limits.per_ip, "ip")


async def check_upload(
    session: AsyncSession, quotas: QuotaSettings, organization_id: uuid.UUID, size: int
) -> None:
    """Before a new file is stored. Uploads racing each other may overshoot by a file: the count is a read."""
    usage = UsageRepository(session, organization_id)
    if quotas.documents_per_month is not None:
        month_start = utcnow().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        uploaded = await usage.documents_since(month_start)
        if uploaded >= quotas.documents_per_month:
            raise _refusal(
                "documents_per_month",
                quotas.documents_per_month,
                uploaded,
                f"The organisation's quota of {quotas.documents_per_month} documents per month is used up "
                f"({uploaded} uploaded since the 1st, UTC).",
            )
    if quotas.storage_bytes is not None:
        stored = await usage.stored_bytes()
        if stored + size > quotas.storage_bytes:
            raise _refusal(
                "storage_bytes",
                quotas.storage_bytes,
                stored,
                f"This file ({size} bytes) would exceed the organisation's storage quota of "
                f"{quotas.storage_bytes} bytes ({stored} bytes stored).",
            )


def _refusal(quota: str, limit: int, usage: int, detail: str) -> QuotaExceeded:
    QUOTA_EXCEEDED.labels(quota).inc()
    return QuotaExceeded(quota, limit, usage, detail)
