"""Fresh apps with a worker, and waiting for documents to settle."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from pmdi.app import create_app
from pmdi.config import DatabaseSettings, Settings
from pmdi.core import migrations
from pmdi.core.db import create_engine
from tests.conftest import fresh_database_url, make_settings
from tests.helpers import User

FINAL = {"indexed", "failed", "cancelled"}


@asynccontextmanager
async def fresh_app(
    backend: str, tmp_root: Path, *, write_wait_seconds: float | None = None, **worker: Any
) -> AsyncIterator[tuple[FastAPI, Settings]]:
    """An app on its own new database, so its worker only ever sees this test's jobs."""
    async for url in fresh_database_url(backend, tmp_root):
        engine = create_engine(DatabaseSettings(url=url))
        await migrations.upgrade(engine)
        await engine.dispose()
        settings = make_settings(url, tmp_root / f"data-{url.rsplit('/', 1)[-1]}")
        settings.worker = settings.worker.model_copy(update={"poll_seconds": 0.2, **worker})
        if write_wait_seconds is not None:  # else the setting's own default
            wait = {"write_wait_seconds": write_wait_seconds}
            settings.database = settings.database.model_copy(update=wait)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            yield app, settings


async def wait_settled(
    client: httpx.AsyncClient, user: User, count: int, within: float = 60.0, **params: str
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + within
    while True:
        response = await client.get(
            "/api/v1/documents", params={"limit": 200, **params}, headers=user.headers
        )
        items: list[dict[str, Any]] = response.json()["items"]
        if len(items) >= count and all(d["status"] in FINAL for d in items):
            return items
        if time.monotonic() > deadline:
            states = sorted(d["status"] for d in items)
            raise AssertionError(f"documents not settled after {within}s: {states}")
        await asyncio.sleep(0.1)
