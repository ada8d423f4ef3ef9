"""The baseline of bench/api_throughput.py: FastAPI returning a 50-item Pydantic list, nothing else."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import FastAPI
from pydantic import BaseModel


class Item(BaseModel):
    id: uuid.UUID
    filename: str
    status: str
    size_bytes: int
    created_at: dt.datetime


class ItemPage(BaseModel):
    items: list[Item]
    total: int


app = FastAPI()
_NOW = dt.datetime.now(dt.UTC)
_ITEMS = [
    Item(id=uuid.uuid4(), filename=f"minutes-{n}.md", status="indexed", size_bytes=1000, created_at=_NOW)
    for n in range(50)
]
_PAGE = ItemPage(items=_ITEMS, total=200)


@app.get("/items", response_model=ItemPage)
async def items() -> ItemPage:
    return ItemPage(items=[Item.model_validate(i.model_dump()) for i in _PAGE.items], total=_PAGE.total)
