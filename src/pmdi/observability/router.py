from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from pmdi.core.deps import StateDep
from pmdi.observability import service
from pmdi.observability.deps import authorize_scrape

router = APIRouter(tags=["observability"])


@router.get("/metrics", include_in_schema=False, dependencies=[Depends(authorize_scrape)])
async def metrics(state: StateDep) -> Response:
    body, content_type = await service.scrape(state)
    return Response(body, media_type=content_type)
