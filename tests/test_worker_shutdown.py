"""Stopping cuts work short: what was cut must not lock others out of the database, and the worker stops."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from pmdi.config import DatabaseSettings
from pmdi.core.db import create_engine, create_sessionmaker, unit_of_work
from pmdi.jobs.pipeline import default_pipeline
from pmdi.jobs.worker import EmbeddedWorker
from tests.jobs_support import fresh_app


async def test_a_worker_stops_while_sqlite_is_locked(
    tmp_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Seen in CI: a write cut short by the stop still held SQLite's lock, and the hand-back's "database is
    locked" escaped `stop()`. Leases expire on their own, so stopping must not depend on that write."""
    async with fresh_app("sqlite", tmp_root, write_wait_seconds=0.2) as (app, settings):
        worker = EmbeddedWorker(app.state.pmdi, default_pipeline())
        worker.start()
        await asyncio.sleep(0.3)
        holder = sqlite3.connect(str(make_url(settings.database.url).database), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the database
        try:
            with caplog.at_level(logging.WARNING, logger="pmdi.core.db"):
                await asyncio.wait_for(worker.stop(), 10)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    assert caplog.text.count("could not hand back leases at shutdown") == 2  # the jobs' and the webhooks'


# A statement long enough to still be running when its task is cancelled.
SLOW = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1e6) SELECT count(*) FROM n"


async def test_a_write_cancelled_mid_statement_leaves_sqlite_to_other_writers(tmp_path: Path) -> None:
    """Seen as the lock behind the test above: the cancelled connection is closed, but while anything still
    references its cursor (here the kept exception; in a worker, a log record or a task) sqlite3 only marks it
    closed, and its transaction kept the write lock until the garbage collector ran."""
    settings = DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", write_wait_seconds=1)
    engine = create_engine(settings)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE notes (body TEXT)"))
    sessionmaker = create_sessionmaker(engine)

    async def write_then_read_slowly() -> None:
        async with unit_of_work(sessionmaker) as session:
            await session.execute(text("INSERT INTO notes VALUES ('cut short')"))
            await session.execute(text(SLOW))

    task = asyncio.create_task(write_then_read_slowly())
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError) as cancellation:
        await task
    async with unit_of_work(sessionmaker) as session:
        await session.execute(text("INSERT INTO notes VALUES ('next')"))
    async with sessionmaker() as session:
        bodies = (await session.execute(text("SELECT body FROM notes"))).scalars().all()
    assert bodies == ["next"]
    assert cancellation.value is not None  # kept to the end, as a log record or a task would keep it
    await engine.dispose()
