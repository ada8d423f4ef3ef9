from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from pmdi.auth.deps import OrgContextDep, Scoped, authorize_resource
from pmdi.auth.permissions import Permission
from pmdi.core.deps import SessionDep
from pmdi.registers.models import OwnerAlias, RegisterItem
from pmdi.registers.repository import AliasRepository, ItemRepository


async def load_item(item_id: uuid.UUID, ctx: OrgContextDep, session: SessionDep) -> RegisterItem:
    return await ItemRepository(session, ctx.organization_id).get_or_raise(item_id)


async def load_alias(alias_id: uuid.UUID, ctx: OrgContextDep, session: SessionDep) -> OwnerAlias:
    return await AliasRepository(session, ctx.organization_id).get_or_raise(alias_id)


ReadableItem = Annotated[
    Scoped[RegisterItem], Depends(authorize_resource(Permission.PROJECT_READ, load_item))
]
WritableItem = Annotated[
    Scoped[RegisterItem], Depends(authorize_resource(Permission.PROJECT_WRITE, load_item))
]
WritableAlias = Annotated[
    Scoped[OwnerAlias], Depends(authorize_resource(Permission.PROJECT_WRITE, load_alias))
]
