"""SQLite writers of one process wait in line for each other (core/sqlite_gate.py), not in SQLite's busy
handler: none fails, none starves, and a writer never blocks readers."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from pmdi.config import DatabaseSettings
from pmdi.core.db import create_engine

WRITERS = 10  # with the holder and a reader, within the pool's 15 connections


async def test_writers_of_a_process_take_turns(tmp_path: Path) -> None:
    engine = create_engine(DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'gate.db'}"))
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE log (writer INTEGER, at REAL)"))
    order: list[int] = []

    async def writer(n: int) -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO log VALUES (:n, :at)"), {"n": n, "at": time.monotonic()})
            order.append(n)
            await asyncio.sleep(0.01)  # the transaction stays open while others queue

    try:
        async with engine.begin() as holder:
            await holder.execute(text("INSERT INTO log VALUES (-1, 0)"))
            writers = [asyncio.create_task(writer(n)) for n in range(WRITERS)]
            await asyncio.sleep(0.05)
            async with engine.connect() as reader:
                seen = (await reader.execute(text("SELECT count(*) FROM log"))).scalar_one()
            assert seen == 0  # readers go on while a write is open; the holder's row is not committed yet
            assert order == []  # every other writer is waiting for the holder
        await asyncio.gather(*writers)
        assert sorted(order) == list(range(WRITERS))  # each wrote once, none failed
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM log"))).scalar_one() == WRITERS + 1
    finally:
        await engine.dispose()


@pytest.mark.parametrize("processes", [1, 2])
async def test_busy_writers_share_the_database_fairly(tmp_path: Path, processes: int) -> None:
    """SQLite's busy handler alone lets whoever asks right after a commit win: writers that had to wait
    sleep ever longer while the others write again at once. Two engines on one file stand for two
    processes (uvicorn workers)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'fair.db'}"
    engines = [create_engine(DatabaseSettings(url=url)) for _ in range(processes)]
    async with engines[0].begin() as conn:
        await conn.execute(text("CREATE TABLE log (writer INTEGER)"))
    commits = dict.fromkeys(range(6), 0)
    deadline = time.monotonic() + 1.5

    async def writer(n: int) -> None:
        engine = engines[n % processes]
        while time.monotonic() < deadline:
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO log VALUES (:n)"), {"n": n})
                await asyncio.sleep(0.002)
            commits[n] += 1

    try:
        await asyncio.gather(*(writer(n) for n in commits))
    finally:
        for engine in engines:
            await engine.dispose()
    assert min(commits.values()) >= max(commits.values()) / 2, commits


async def test_a_writer_that_waits_too_long_gets_a_clear_error(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gate.db'}"
    engine = create_engine(DatabaseSettings(url=url, write_wait_seconds=0.2))
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (x INTEGER)"))
    try:
        async with engine.begin() as holder:
            await holder.execute(text("INSERT INTO t VALUES (1)"))
            started = time.monotonic()
            with pytest.raises(OperationalError, match="database is locked"):
                async with engine.begin() as late:
                    await late.execute(text("INSERT INTO t VALUES (2)"))
            assert time.monotonic() - started < 2
        async with engine.begin() as after:  # the holder committed: the gate is free again
            await after.execute(text("INSERT INTO t VALUES (3)"))
    finally:
        await engine.dispose()


async def test_a_writer_cancelled_in_line_leaves_the_line_moving(tmp_path: Path) -> None:
    """A request or job stopped while waiting for its turn must neither keep a turn nor hand one out twice."""
    engine = create_engine(DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'gate.db'}"))
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (x INTEGER)"))

    async def write(value: int) -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": value})

    try:
        async with engine.begin() as holder:
            await holder.execute(text("INSERT INTO t VALUES (1)"))
            waiting = asyncio.create_task(write(2))
            await asyncio.sleep(0.05)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
        await asyncio.wait_for(asyncio.gather(write(3), write(4)), 2)
        async with engine.connect() as conn:
            values = (await conn.execute(text("SELECT x FROM t ORDER BY x"))).scalars().all()
        assert values == [1, 3, 4]
    finally:
        await engine.dispose()
