"""`pmdi backup` / `pmdi restore`: a populated instance survives a round trip into an empty one."""

from __future__ import annotations

import json
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from pmdi.app import create_app
from pmdi.backup.errors import ArchiveInvalid, TargetNotEmpty
from pmdi.backup.service import backup, restore
from pmdi.cli.main import app as cli
from pmdi.config import StorageSettings
from pmdi.core import migrations
from pmdi.core.db import create_engine
from tests.conftest import client_for, fresh_database_url, make_settings
from tests.helpers import Api, User
from tests.jobs_support import fresh_app, wait_settled
from tests.s3_support import moto_s3

MINUTES = b"# Steering\n\nDecision: we adopt the zebrafish plan.\n\n- Ann to send the budget by Friday\n"
NOTES = b"# Sync\n\nRisk: the vendor may miss the kiwi date.\n\n- Bob to review the contract by Monday\n"


async def snapshot_of(client: httpx.AsyncClient, user: User) -> dict[str, Any]:
    """What a user sees of the instance, to compare before and after the round trip."""
    documents = (await client.get("/api/v1/documents", headers=user.headers)).json()["items"]
    seen: dict[str, Any] = {"documents": {}, "search": {}}
    for doc in sorted(documents, key=lambda d: str(d["filename"])):
        base = f"/api/v1/documents/{doc['id']}"
        analysis = (await client.get(f"{base}/analysis", headers=user.headers)).json()
        content = await client.get(f"{base}/content", headers=user.headers)
        assert content.status_code == 200
        seen["documents"][doc["filename"]] = (doc["status"], analysis, content.content)
    items = (await client.get("/api/v1/register-items", headers=user.headers)).json()
    seen["registers"] = sorted((i["kind"], i["text"], i["owner"]) for i in items["items"])
    for word in ("zebrafish", "kiwi"):
        hits = (await client.get("/api/v1/search", params={"q": word}, headers=user.headers)).json()["hits"]
        seen["search"][word] = sorted(h["filename"] for h in hits)
    return seen


async def populated(backend: str, tmp_root: Path, archive: Path) -> tuple[User, dict[str, Any]]:
    async with fresh_app(backend, tmp_root, embedded=True) as (app, settings), client_for(app) as client:
        api = Api(client)
        owner = await api.user()
        await api.org(owner)
        project = await api.project(owner)
        await api.uploaded(owner, project, "minutes.md", MINUTES)
        await api.uploaded(owner, project, "notes.md", NOTES)
        await wait_settled(client, owner, 2)
        before = await snapshot_of(client, owner)
        await backup(settings, archive)
    return owner, before


async def test_backup_restores_into_an_empty_instance(backend: str, tmp_root: Path) -> None:
    archive = tmp_root / f"backup-{uuid.uuid4().hex[:8]}.tar.gz"
    owner, before = await populated(backend, tmp_root, archive)
    assert [s for s, _, _ in before["documents"].values()] == ["indexed", "indexed"]
    assert before["registers"]
    assert before["search"] == {"zebrafish": ["minutes.md"], "kiwi": ["notes.md"]}

    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert (manifest["database"], manifest["file_count"]) == (backend, 2)
    assert manifest["alembic_revision"] == migrations.head_revision()

    async for url in fresh_database_url(backend, tmp_root):
        settings = make_settings(url, tmp_root / f"restored-{uuid.uuid4().hex[:8]}")
        restored = await restore(settings, archive)
        assert restored.files == manifest["files"]
        app = create_app(settings)
        async with app.router.lifespan_context(app), client_for(app) as client:
            await Api(client).login(owner)
            assert await snapshot_of(client, owner) == before

        with pytest.raises(TargetNotEmpty, match="--force"):
            await restore(settings, archive)
        await restore(settings, archive, force=True)
        folder = tmp_root / f"backup-{uuid.uuid4().hex[:8]}"
        assert (await backup(settings, folder)).files == manifest["files"]

    stored = next(p for p in (folder / "files").rglob("*") if p.is_file())
    stored.write_bytes(b"tampered")
    async for url in fresh_database_url(backend, tmp_root):
        with pytest.raises(ArchiveInvalid, match="checksum mismatch"):
            await restore(make_settings(url, tmp_root / f"damaged-{uuid.uuid4().hex[:8]}"), folder)


def test_cli_refuses_to_restore_into_a_database_with_data(
    tmp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_root / f"cli-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("PMDI_DATABASE__URL", f"sqlite+aiosqlite:///{data}/pmdi.db")
    monkeypatch.setenv("PMDI_STORAGE__LOCAL_ROOT", str(data / "files"))
    monkeypatch.setenv("PMDI_DATA_DIR", str(data))
    runner = CliRunner()
    data.mkdir()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    made = runner.invoke(cli, ["user", "create", "--email", "a@example.org", "--password", "x" * 20])
    assert made.exit_code == 0, made.output
    assert runner.invoke(cli, ["backup", str(data / "b.tar.gz")]).exit_code == 0

    refused = runner.invoke(cli, ["restore", str(data / "b.tar.gz")])
    assert refused.exit_code == 1
    assert "--force" in refused.output
    forced = runner.invoke(cli, ["restore", str(data / "b.tar.gz"), "--force"])
    assert forced.exit_code == 0, forced.output
    assert "restored" in forced.output


async def test_an_older_backup_is_migrated_and_a_newer_one_refused(backend: str, tmp_root: Path) -> None:
    folder = tmp_root / f"backup-{uuid.uuid4().hex[:8]}"
    async for url in fresh_database_url(backend, tmp_root):
        settings = make_settings(url, tmp_root / f"old-{uuid.uuid4().hex[:8]}")
        engine = create_engine(settings.database)
        await migrations.upgrade(engine, "0005")
        await engine.dispose()
        assert (await backup(settings, folder)).alembic_revision == "0005"
    async for url in fresh_database_url(backend, tmp_root):
        settings = make_settings(url, tmp_root / f"new-{uuid.uuid4().hex[:8]}")
        await restore(settings, folder)
        engine = create_engine(settings.database)
        assert await migrations.current_revision(engine) == migrations.head_revision()
        await engine.dispose()

    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "alembic_revision": "9999"}))
    async for url in fresh_database_url(backend, tmp_root):
        with pytest.raises(ArchiveInvalid, match="unknown to this pmdi"):
            await restore(make_settings(url, tmp_root / f"newer-{uuid.uuid4().hex[:8]}"), folder)


@pytest.fixture
def s3_storage() -> Iterator[StorageSettings]:
    with moto_s3("pmdi-backup") as settings:
        yield settings


async def test_objects_in_s3_are_backed_up_and_restored(tmp_root: Path, s3_storage: StorageSettings) -> None:
    archive = tmp_root / f"s3-{uuid.uuid4().hex[:8]}.tar.gz"
    async for url in fresh_database_url("sqlite", tmp_root):
        settings = make_settings(url, tmp_root / f"s3-{uuid.uuid4().hex[:8]}")
        settings.storage = s3_storage.model_copy(update={"s3_prefix": "before"})
        engine = create_engine(settings.database)
        await migrations.upgrade(engine)
        await engine.dispose()
        app = create_app(settings)
        async with app.router.lifespan_context(app), client_for(app) as client:
            api = Api(client)
            owner = await api.user()
            await api.org(owner)
            document = await api.uploaded(owner, await api.project(owner), "notes.md", NOTES)
        assert (await backup(settings, archive)).file_count == 1

    async for url in fresh_database_url("sqlite", tmp_root):
        settings = make_settings(url, tmp_root / f"s3-{uuid.uuid4().hex[:8]}")
        settings.storage = s3_storage.model_copy(update={"s3_prefix": "after"})
        await restore(settings, archive)
        app = create_app(settings)
        async with app.router.lifespan_context(app), client_for(app) as client:
            await Api(client).login(owner)
            download = f"/api/v1/documents/{document['id']}/content"
            assert (await client.get(download, headers=owner.headers)).content == NOTES
