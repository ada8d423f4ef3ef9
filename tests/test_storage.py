"""Both storage providers behind the same contract; S3 against a local S3 emulator (moto server)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from pmdi.app import create_app
from pmdi.config import StorageSettings
from pmdi.core import migrations
from pmdi.core.db import create_engine
from pmdi.storage.base import Storage, create_storage, document_key
from tests.conftest import client_for, make_settings
from tests.helpers import Api
from tests.s3_support import moto_s3


@pytest.fixture(scope="module")
def s3_settings() -> Iterator[StorageSettings]:
    with moto_s3("pmdi-test", "tenant-files") as settings:
        yield settings


@pytest.fixture(params=["local", "s3"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    if request.param == "local":
        settings = StorageSettings(local_root=tmp_path / "files")
    else:
        settings = request.getfixturevalue("s3_settings")
    provider = create_storage(settings)
    yield provider
    await provider.close()


async def read_all(storage: Storage, key: str) -> bytes:
    return b"".join([chunk async for chunk in storage.stream(key)])


async def test_put_stream_exists_delete(storage: Storage, tmp_path: Path) -> None:
    content = bytes(range(256)) * 4000  # larger than one stream chunk
    source = tmp_path / "source.bin"
    source.write_bytes(content)
    key = document_key("org-1", hashlib.sha256(content).hexdigest())

    await storage.check()
    assert not await storage.exists(key)
    assert await storage.put_file(key, source) is True
    assert await storage.put_file(key, source) is False
    assert await storage.exists(key)
    assert await read_all(storage, key) == content

    await storage.delete(key)
    assert not await storage.exists(key)
    await storage.delete(key)


async def test_local_storage_refuses_keys_outside_its_root(tmp_path: Path) -> None:
    storage = create_storage(StorageSettings(local_root=tmp_path / "files"))
    with pytest.raises(ValueError, match="escapes"):
        await storage.exists("../../etc/passwd")


async def test_local_writes_leave_no_partial_files(tmp_path: Path) -> None:
    storage = create_storage(StorageSettings(local_root=tmp_path / "files"))
    source = tmp_path / "a.txt"
    source.write_bytes(b"hello")
    await storage.put_file("org/ab/abc", source)
    files = [p.name for p in (tmp_path / "files").rglob("*") if p.is_file()]
    assert files == ["abc"]


async def test_api_upload_and_download_through_s3(s3_settings: StorageSettings, tmp_path: Path) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "data")
    settings.storage = s3_settings
    engine = create_engine(settings.database)
    await migrations.upgrade(engine)
    await engine.dispose()
    app = create_app(settings)
    async with app.router.lifespan_context(app), client_for(app) as client:
        api = Api(client)
        owner = await api.user()
        await api.org(owner)
        project_id = await api.project(owner)
        content = b"%PDF-1.4\n" + b"x" * 300_000
        document = await api.uploaded(owner, project_id, "s3.pdf", content)
        download = await client.get(f"/api/v1/documents/{document['id']}/content", headers=owner.headers)
        assert download.content == content
        assert (await client.get("/readyz")).json()["checks"]["storage"] == "ok"
