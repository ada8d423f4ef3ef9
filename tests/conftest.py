"""Every DB-backed test runs on SQLite and on the real PostgreSQL at 127.0.0.1:5432 (fresh database per run).

Under CI=true an unreachable PostgreSQL is a failure, never a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from pmdi.app import create_app
from pmdi.config import (
    AuthSettings,
    DatabaseSettings,
    LimitsSettings,
    MailSettings,
    Settings,
    StorageSettings,
    UploadSettings,
    WorkerSettings,
)
from pmdi.core import migrations
from pmdi.core.db import create_engine
from tests.helpers import Api

POSTGRES_ADMIN_DSN = os.environ.get("PMDI_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
UNLIMITED_REQUESTS = 1_000_000


def fast_auth() -> AuthSettings:
    return AuthSettings(
        secret_key=SecretStr("test-secret-" + "x" * 40),
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
    )


async def _create_postgres_database() -> str:
    import asyncpg

    name = f"pmdi_test_{uuid.uuid4().hex[:12]}"
    try:
        conn = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        message = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_DSN}: {exc}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def _drop_postgres_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def tmp_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pmdi")


async def fresh_database_url(backend: str, tmp_root: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_root / f'db-{uuid.uuid4().hex[:8]}.sqlite'}"
        return
    name = await _create_postgres_database()
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        await _drop_postgres_database(name)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
async def database_url(backend: str, tmp_root: Path) -> AsyncIterator[str]:
    async for url in fresh_database_url(backend, tmp_root):
        engine = create_engine(DatabaseSettings(url=url))
        try:
            await migrations.upgrade(engine)
        finally:
            await engine.dispose()
        yield url


def make_settings(database_url: str, data_dir: Path, *, worker: bool = False, **uploads: int) -> Settings:
    """Settings for an app under test; its embedded worker only runs when a test asks for it."""
    return Settings(
        data_dir=data_dir,
        database=DatabaseSettings(url=database_url),
        storage=StorageSettings(local_root=data_dir / "files"),
        auth=fast_auth(),
        uploads=UploadSettings(**uploads),
        worker=WorkerSettings(embedded=worker),
        # Tests fire requests far faster than any person; tests/test_limits.py sets small limits itself.
        limits=LimitsSettings(per_user=UNLIMITED_REQUESTS, per_ip=UNLIMITED_REQUESTS),
        # The test IMAP server runs on 127.0.0.1; tests/test_mailboxes.py checks the refusal itself.
        mail=MailSettings(allow_private_hosts=True, tick_seconds=0.2),
    )


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_root: Path, backend: str) -> Settings:
    return make_settings(database_url, tmp_root / f"data-{backend}", max_bytes=2 * 1024 * 1024)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


def client_for(app: FastAPI, ip: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as http:
        yield http


@pytest.fixture
def api(client: httpx.AsyncClient) -> Api:
    return Api(client)


@pytest.fixture(scope="session")
def corpus() -> Path:
    path = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"
    assert path.is_dir(), f"the shared corpus is missing at {path}"
    return path
