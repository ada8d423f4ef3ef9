"""An organisation's own language model, over the server's default: stored with its key encrypted, validated
against server-side request forgery, and merged into the analysis settings of that organisation's jobs."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.audit.service import record_in_org
from pmdi.auth.principal import OrgContext
from pmdi.config import AnalysisSettings, Settings
from pmdi.core import crypto
from pmdi.core.errors import BadRequest
from pmdi.core.network import addresses_of, first_private
from pmdi.llm.models import OrgLLMSettings
from pmdi.llm.repository import OrgLLMSettingsRepository
from pmdi.llm.schemas import OrgLLMIn, OrgLLMOut


async def _stored(session: AsyncSession, organization_id: uuid.UUID) -> OrgLLMSettings | None:
    return await OrgLLMSettingsRepository(session, organization_id).current()


async def get_org_llm(session: AsyncSession, settings: Settings, ctx: OrgContext) -> OrgLLMOut:
    stored = await _stored(session, ctx.organization_id)
    if stored is None:
        llm = settings.analysis.llm
        return OrgLLMOut(
            source="server",
            enabled=settings.analysis.analyzer == "llm",
            analyzer=settings.analysis.analyzer,
            provider=llm.provider,
            model=llm.model,
            base_url=llm.base_url,
            region=llm.region,
            api_key_set=llm.api_key is not None,
            monthly_budget_usd=llm.monthly_budget_usd,
        )
    return _out(stored)


def _out(stored: OrgLLMSettings) -> OrgLLMOut:
    return OrgLLMOut(
        source="organization",
        enabled=stored.enabled,
        analyzer="llm" if stored.enabled else "rules",
        provider=stored.provider,
        model=stored.model,
        base_url=stored.base_url,
        region=stored.region,
        api_key_set=stored.api_key_encrypted is not None,
        monthly_budget_usd=stored.monthly_budget_usd,
    )


async def put_org_llm(
    session: AsyncSession, settings: Settings, ctx: OrgContext, data: OrgLLMIn
) -> OrgLLMOut:
    if data.base_url:
        await check_base_url(data.base_url, settings.analysis.llm.allow_private_base_urls)
    stored = await _stored(session, ctx.organization_id)
    if stored is None:
        stored = OrgLLMSettings(organization_id=ctx.organization_id)
        session.add(stored)
    stored.enabled, stored.provider, stored.model = data.enabled, data.provider, data.model
    stored.base_url, stored.region, stored.monthly_budget_usd = (
        data.base_url,
        data.region,
        data.monthly_budget_usd,
    )
    if data.clear_api_key:
        stored.api_key_encrypted = None
    elif data.api_key is not None:
        stored.api_key_encrypted = crypto.encrypt(settings.secret_key(), data.api_key.get_secret_value())
    await session.flush()
    changed = data.model_dump(exclude={"api_key"}) | {"api_key_changed": data.api_key is not None}
    await record_in_org(session, ctx, "llm_settings.updated", None, changed)
    return _out(stored)


async def delete_org_llm(session: AsyncSession, ctx: OrgContext) -> None:
    stored = await _stored(session, ctx.organization_id)
    if stored is not None:
        await session.delete(stored)
        await session.flush()
        await record_in_org(session, ctx, "llm_settings.deleted")


async def check_base_url(url: str, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise BadRequest("base_url must be an http(s) URL with a host.")
    if allow_private:
        return
    try:
        addresses = await addresses_of(parts.hostname, parts.port or 443)
    except (OSError, UnicodeError) as exc:
        raise BadRequest(f"base_url host {parts.hostname!r} does not resolve.") from exc
    if first_private(addresses) is not None:
        raise BadRequest("base_url points into a private network; an administrator must allow that.")


async def effective_analysis(
    session: AsyncSession, settings: Settings, organization_id: uuid.UUID
) -> AnalysisSettings:
    """The server's analysis settings with the organisation's own model over them, key decrypted."""
    stored = await _stored(session, organization_id)
    if stored is None:
        return settings.analysis
    if not stored.enabled:
        return settings.analysis.model_copy(update={"analyzer": "rules"})
    key = (
        crypto.decrypt(settings.secret_key(), stored.api_key_encrypted) if stored.api_key_encrypted else None
    )
    llm = settings.analysis.llm.model_copy(
        update={
            "provider": stored.provider,
            "model": stored.model,
            "base_url": stored.base_url,
            "region": stored.region,
            "api_key": SecretStr(key) if key else None,
            "monthly_budget_usd": stored.monthly_budget_usd,
            "fallbacks": [],
        }
    )
    return settings.analysis.model_copy(update={"analyzer": "llm", "llm": llm})
