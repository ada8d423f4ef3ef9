"""The baselines of bench/api_throughput.py: FastAPI returning a 50-item Pydantic list, nothing else; and the
same list read through SQLAlchemy from the seeded database."""

from __future__ import annotations

import datetime as dt
import os
import uuid

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import pmdi.core.models  # noqa: F401  (every mapper, before the first query)
from pmdi.config import DatabaseSettings
from pmdi.core.db import create_engine, create_sessionmaker
from pmdi.documents.models import Document


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


# The second baseline: the same page read from pmdi's database through SQLAlchemy (engine and session as
# pmdi makes them), with no authentication, middleware or tenancy; the floor of this stack for one query.
_SESSIONS: async_sessionmaker[AsyncSession] | None = None


def _sessions() -> async_sessionmaker[AsyncSession]:
    global _SESSIONS
    if _SESSIONS is None:
        _SESSIONS = create_sessionmaker(create_engine(DatabaseSettings(url=os.environ["BENCH_DATABASE_URL"])))
    return _SESSIONS


@app.get("/items-db", response_model=ItemPage)
async def items_from_database() -> ItemPage:
    async with _sessions()() as session:
        stmt = select(
            Document.id, Document.filename, Document.status, Document.size_bytes, Document.created_at
        )
        rows = (await session.execute(stmt.order_by(Document.created_at.desc()).limit(50))).all()
        await session.commit()
    return ItemPage(items=[Item.model_validate(row, from_attributes=True) for row in rows], total=len(rows))
