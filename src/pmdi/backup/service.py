"""Back up and restore a whole instance: every organisation's rows and stored files.

These are operator commands, not tenant requests, so they read across organisations on purpose.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import anyio.to_thread
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from pmdi import __version__
from pmdi.backup import archive, database
from pmdi.backup.archive import Manifest
from pmdi.backup.errors import ArchiveInvalid, BackupError, TargetNotEmpty
from pmdi.config import Settings
from pmdi.core import migrations
from pmdi.core.db import create_engine, utcnow
from pmdi.documents.models import Document
from pmdi.storage.base import Storage, create_storage


async def backup(settings: Settings, target: Path) -> Manifest:
    """Snapshot the database first, then copy the files it references: every stored key then exists."""
    if await anyio.Path(target).exists():
        raise BackupError(f"{target} already exists; choose a new path")
    kind = database.database_kind(settings.database.url)
    engine, storage = create_engine(settings.database), create_storage(settings.storage)
    stage = Path(await anyio.to_thread.run_sync(tempfile.mkdtemp, "", "pmdi-backup-"))
    try:
        manifest = Manifest(
            pmdi_version=__version__,
            alembic_revision=await migrations.current_revision(engine),
            created_at=utcnow().isoformat(),
            database=kind,
            database_file=database.dump_file(kind),
            storage=storage.name,
        )
        await database.snapshot(settings.database.url, stage / manifest.database_file)
        manifest.files = await _copy_files(engine, storage, stage)
        await anyio.to_thread.run_sync(manifest.write, stage)
        await anyio.to_thread.run_sync(archive.pack, stage, target)
        return manifest
    finally:
        await anyio.to_thread.run_sync(shutil.rmtree, stage, True)
        await storage.close()
        await engine.dispose()


async def _copy_files(engine: AsyncEngine, storage: Storage, stage: Path) -> dict[str, str]:
    async with engine.connect() as connection:
        keys = sorted((await connection.execute(select(Document.storage_key).distinct())).scalars())
    checksums: dict[str, str] = {}
    for key in keys:
        # A document deleted since the snapshot took its blob with it; the snapshot cannot need it then.
        if not await storage.exists(key):
            continue
        path = archive.stored_path(stage, key)
        await anyio.Path(path.parent).mkdir(parents=True, exist_ok=True)
        await storage.fetch_to(key, path)
        checksums[key] = await anyio.to_thread.run_sync(archive.sha256_of, path)
    return checksums


async def restore(settings: Settings, source: Path, *, force: bool = False) -> Manifest:
    """Restore into an empty database (or any, with `force`), then upgrade an older schema to head."""
    kind = database.database_kind(settings.database.url)
    engine, storage = create_engine(settings.database), create_storage(settings.storage)
    workdir = Path(await anyio.to_thread.run_sync(tempfile.mkdtemp, "", "pmdi-restore-"))
    try:
        folder = await anyio.to_thread.run_sync(archive.unpack, source, workdir)
        manifest = await anyio.to_thread.run_sync(Manifest.read, folder)
        _check_compatible(manifest, kind)
        await anyio.to_thread.run_sync(archive.verify_files, folder, manifest)
        has_tables, rows = await database.contents(engine)
        if rows and not force:
            raise TargetNotEmpty(
                f"the target database already holds {rows} rows; restore into an empty database, "
                "or pass --force to replace its contents"
            )
        await engine.dispose()  # SQLite: no open connection may hold the file being replaced
        await database.load(settings.database.url, folder / manifest.database_file, replace=has_tables)
        for key in manifest.files:
            await storage.put_file(key, archive.stored_path(folder, key))
        if manifest.alembic_revision != migrations.head_revision():
            await migrations.upgrade(engine)
        return manifest
    finally:
        await anyio.to_thread.run_sync(shutil.rmtree, workdir, True)
        await storage.close()
        await engine.dispose()


def _check_compatible(manifest: Manifest, kind: str) -> None:
    if manifest.database != kind:
        raise BackupError(f"this is a {manifest.database} backup; it cannot be restored into {kind}")
    if manifest.alembic_revision is None:
        return
    scripts = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))
    try:
        scripts.get_revision(manifest.alembic_revision)
    except CommandError as exc:
        raise ArchiveInvalid(
            f"the backup's schema revision {manifest.alembic_revision} is unknown to this pmdi "
            f"(head {migrations.head_revision()}); restore it with the pmdi version {manifest.pmdi_version}"
        ) from exc
