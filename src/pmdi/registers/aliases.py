"""Owner aliases: editable names for members; every item's member is resolved again when they change."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.audit.service import record_in_org
from pmdi.auth.principal import OrgContext
from pmdi.registers.errors import AliasTaken, NotAMember
from pmdi.registers.matching import normalise_name
from pmdi.registers.models import OwnerAlias, RegisterItem
from pmdi.registers.owners import directory
from pmdi.registers.repository import AliasRepository, ItemRepository
from pmdi.registers.schemas import AliasIn, AliasOut


async def list_aliases(session: AsyncSession, ctx: OrgContext) -> list[AliasOut]:
    repo = AliasRepository(session, ctx.organization_id)
    return [AliasOut.model_validate(a) for a in await repo.list(repo.select().order_by(OwnerAlias.alias))]


async def add_alias(session: AsyncSession, ctx: OrgContext, data: AliasIn) -> AliasOut:
    name = normalise_name(data.alias)
    if not name:
        raise AliasTaken("An alias needs at least one letter or digit.")
    if data.user_id not in (await directory(session, ctx.organization_id)).members:
        raise NotAMember()
    repo = AliasRepository(session, ctx.organization_id)
    if await repo.named(name) is not None:
        raise AliasTaken()
    alias = await repo.add(OwnerAlias(alias=name, user_id=data.user_id))
    await _resolve_again(session, ctx)
    await record_in_org(session, ctx, "owner_alias.created", ("owner_alias", alias.id), {"alias": name})
    return AliasOut.model_validate(alias)


async def remove_alias(session: AsyncSession, ctx: OrgContext, alias: OwnerAlias) -> None:
    await AliasRepository(session, ctx.organization_id).delete(alias)
    await _resolve_again(session, ctx)
    await record_in_org(
        session, ctx, "owner_alias.deleted", ("owner_alias", alias.id), {"alias": alias.alias}
    )


async def _resolve_again(session: AsyncSession, ctx: OrgContext) -> None:
    owners = await directory(session, ctx.organization_id)
    repo = ItemRepository(session, ctx.organization_id)
    for item in await repo.list(repo.select().where(RegisterItem.owner.is_not(None))):
        if "owner" not in (item.edited_fields or ()) and "owner_user_id" not in (item.edited_fields or ()):
            item.owner_user_id = owners.resolve(item.owner)
    await session.flush()
