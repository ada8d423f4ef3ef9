from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from pmdi.api_keys import service
from pmdi.api_keys.deps import load_api_key
from pmdi.api_keys.models import ApiKey
from pmdi.api_keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut
from pmdi.auth.deps import Scoped, authorize, authorize_resource
from pmdi.auth.permissions import Permission
from pmdi.auth.principal import OrgContext
from pmdi.core.deps import SessionDep

router = APIRouter(prefix="/api-keys", tags=["api keys"])

ManageKeys = Annotated[OrgContext, Depends(authorize(Permission.API_KEY_MANAGE))]
ManagedKey = Annotated[Scoped[ApiKey], Depends(authorize_resource(Permission.API_KEY_MANAGE, load_api_key))]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ApiKeyCreated)
async def create_api_key(data: ApiKeyCreate, ctx: ManageKeys, session: SessionDep) -> ApiKeyCreated:
    api_key, secret = await service.create(session, ctx, data)
    return ApiKeyCreated(**ApiKeyOut.model_validate(api_key).model_dump(), key=secret)


@router.get("", response_model=list[ApiKeyOut])
async def list_api_keys(ctx: ManageKeys, session: SessionDep) -> object:
    return await service.list_keys(session, ctx)


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_api_key(api_key: ManagedKey, session: SessionDep) -> Response:
    await service.revoke(session, api_key.ctx, api_key.obj)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
