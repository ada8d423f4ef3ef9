"""A stopping worker hands its leases back if it can, and stops anyway if the database takes no writes."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

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
