from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from pmdi.app import DatabaseNotMigrated, create_app
from pmdi.config import DatabaseSettings
from pmdi.core import migrations
from pmdi.core.db import create_engine
from pmdi.core.models import Base
from pmdi.search.models import is_unmapped
from tests.conftest import client_for, fresh_database_url, make_settings


def _diff(connection: Connection) -> list[object]:
    def mapped(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
        return not (reflected and is_unmapped(type_, name))

    context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": mapped})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def run_sync(engine: AsyncEngine, fn):  # type: ignore[no-untyped-def]
    async with engine.connect() as connection:
        return await connection.run_sync(fn)


@pytest.fixture
async def empty_engine(backend: str, tmp_root: Path):  # type: ignore[no-untyped-def]
    async for url in fresh_database_url(backend, tmp_root):
        engine = create_engine(DatabaseSettings(url=url))
        try:
            yield engine
        finally:
            await engine.dispose()


async def test_upgrade_downgrade_upgrade_round_trip(empty_engine: AsyncEngine) -> None:
    await migrations.upgrade(empty_engine)
    tables = await run_sync(empty_engine, _tables)
    assert {"users", "organizations", "memberships", "documents", "jobs", "audit_events"} <= tables
    assert await migrations.current_revision(empty_engine) == migrations.head_revision()

    await migrations.downgrade(empty_engine, "base")
    assert await run_sync(empty_engine, _tables) <= {"alembic_version"}
    assert await migrations.current_revision(empty_engine) is None

    await migrations.upgrade(empty_engine)
    assert await run_sync(empty_engine, _tables) == tables


async def test_models_and_migrations_agree(empty_engine: AsyncEngine) -> None:
    await migrations.upgrade(empty_engine)
    assert await run_sync(empty_engine, _diff) == []


async def test_app_refuses_to_start_on_unmigrated_database(empty_engine: AsyncEngine, tmp_path: Path) -> None:
    url = empty_engine.url.render_as_string(hide_password=False)
    app = create_app(make_settings(url, tmp_path))
    with pytest.raises(DatabaseNotMigrated, match="Run `pmdi migrate` first"):
        async with app.router.lifespan_context(app):
            pass


async def test_health_and_readiness(app: FastAPI) -> None:
    async with client_for(app) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "migrations": "ok", "storage": "ok"}


async def test_readiness_reports_a_database_behind_head(empty_engine: AsyncEngine, tmp_path: Path) -> None:
    await migrations.upgrade(empty_engine)
    url = empty_engine.url.render_as_string(hide_password=False)
    app = create_app(make_settings(url, tmp_path))
    async with app.router.lifespan_context(app):
        await migrations.downgrade(empty_engine, "base")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            response = await client.get("/readyz")
    assert response.status_code == 503
    assert "expected" in response.json()["checks"]["migrations"]


async def test_openapi_docs_are_served(app: FastAPI) -> None:
    async with client_for(app) as client:
        assert (await client.get("/docs")).status_code == 200
        schema = (await client.get("/openapi.json")).json()
    upload = schema["paths"]["/api/v1/projects/{project_id}/documents"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
