"""Database snapshots: SQLite's online backup API, PostgreSQL's pg_dump / pg_restore."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import anyio
import anyio.to_thread
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from pmdi.backup.errors import BackupError

SQLITE_FILE = "database.sqlite"
POSTGRES_FILE = "database.pgdump"


def database_kind(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise BackupError(f"cannot back up a {backend} database")
    return backend


def dump_file(kind: str) -> str:
    return SQLITE_FILE if kind == "sqlite" else POSTGRES_FILE


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _sqlite_copy(source: Path, target: Path) -> None:
    # The online backup API copies a consistent snapshot even while the server keeps writing.
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, which goes through the environment instead of the process list."""
    parsed: URL = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


async def _run(*command: str, env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: apt-get install postgresql-client)")
    result = await anyio.run_process(list(command), env=env, check=False)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.decode(errors='replace').strip()}")


async def snapshot(url: str, target: Path) -> None:
    if database_kind(url) == "sqlite":
        await anyio.to_thread.run_sync(_sqlite_copy, _sqlite_path(url), target)
        return
    dsn, env = _libpq(url)
    options = ["--format=custom", "--no-owner", "--no-privileges", f"--file={target}"]
    await _run("pg_dump", *options, dsn, env=env)


async def load(url: str, source: Path, *, replace: bool) -> None:
    """Load a snapshot; `replace` first drops what the target holds (only after the emptiness check)."""
    if database_kind(url) == "sqlite":
        path = _sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        await anyio.to_thread.run_sync(_sqlite_copy, source, path)
        return
    dsn, env = _libpq(url)
    options = ["--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={dsn}"]
    if replace:
        options += ["--clean", "--if-exists"]
    await _run("pg_restore", *options, str(source), env=env)


def _row_counts(connection: Connection) -> tuple[bool, int]:
    tables = [t for t in inspect(connection).get_table_names() if t != "alembic_version"]
    rows = sum(
        connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()  # noqa: S608 - names from the catalog
        for table in tables
    )
    return bool(tables), rows


async def contents(engine: AsyncEngine) -> tuple[bool, int]:
    """Whether the database has tables, and how many rows they hold together."""
    async with engine.connect() as connection:
        return await connection.run_sync(_row_counts)
