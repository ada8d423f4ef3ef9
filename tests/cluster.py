"""A scale-out deployment on one machine: PostgreSQL, Redis, `pmdi worker` and `pmdi serve` processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import pytest

from pmdi.config import DatabaseSettings, RealtimeSettings, SearchSettings, Settings
from pmdi.core import migrations
from pmdi.core.db import create_engine
from tests.conftest import IN_CI, fresh_database_url, make_settings

PMDI = str(Path(sys.executable).parent / "pmdi")
REDIS_URL = os.environ.get("PMDI_TEST_REDIS", "redis://127.0.0.1:6379/0")


async def require_redis() -> None:
    import redis.asyncio as redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        await client.ping()
    except (OSError, redis.RedisError) as exc:
        message = f"Redis is not reachable at {REDIS_URL}: {exc}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    finally:
        await client.aclose()


@dataclass
class Cluster:
    settings: Settings
    env: dict[str, str]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    servers: list[tuple[subprocess.Popen[bytes], str]] = field(default_factory=list)

    def start_worker(self) -> subprocess.Popen[bytes]:
        # A session of its own, so killing it also kills its processing subprocesses.
        worker = subprocess.Popen(
            [PMDI, "worker"],
            env=self.env,
            start_new_session=True,
            stdout=self._log(),
            stderr=subprocess.STDOUT,
        )
        self.workers.append(worker)
        return worker

    def _log(self) -> IO[bytes]:
        """Each process logs to its own file under the data dir; `logs()` shows them when a test fails."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return (self.settings.data_dir / f"process-{len(self.workers) + len(self.servers)}.log").open("ab")

    def logs(self) -> str:
        return "\n".join(
            p.read_text(errors="replace")[-3000:] for p in sorted(self.settings.data_dir.glob("*.log"))
        )

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def start_server(self, port: int) -> str:
        process = subprocess.Popen(
            [PMDI, "serve", "--port", str(port)],
            env=self.env,
            start_new_session=True,
            stdout=self._log(),
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        self.servers.append((process, base))
        wait_healthy(base, process)
        return base

    def stop_all(self) -> None:
        for process in [*self.workers, *(p for p, _ in self.servers)]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in [*self.workers, *(p for p, _ in self.servers)]:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def wait_healthy(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server at {base} exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"server at {base} did not start")


def env_for(settings: Settings) -> dict[str, str]:
    worker = settings.worker
    return {
        **os.environ,
        # Logs go to files; unbuffered, a process killed with -9 still leaves its last lines there.
        "PYTHONUNBUFFERED": "1",
        "PMDI_DATA_DIR": str(settings.data_dir),
        "PMDI_DATABASE__URL": settings.database.url,
        "PMDI_STORAGE__LOCAL_ROOT": str(settings.storage.local_root),
        "PMDI_AUTH__SECRET_KEY": settings.secret_key(),
        "PMDI_AUTH__ARGON2_TIME_COST": "1",
        "PMDI_AUTH__ARGON2_MEMORY_KIB": "1024",
        "PMDI_AUTH__ARGON2_PARALLELISM": "1",
        "PMDI_REDIS_URL": settings.redis_url,
        "PMDI_REALTIME__BACKEND": settings.realtime.backend,
        "PMDI_WORKER__BACKEND": worker.backend,
        "PMDI_WORKER__QUEUE_NAME": worker.queue_name,
        "PMDI_WORKER__LEASE_SECONDS": str(worker.lease_seconds),
        "PMDI_WORKER__RECONCILE_SECONDS": str(worker.reconcile_seconds),
        "PMDI_WORKER__POLL_SECONDS": str(worker.poll_seconds),
        "PMDI_WORKER__RETRY_BACKOFF_SECONDS": str(worker.retry_backoff_seconds),
        "PMDI_WORKER__DISPATCH_WINDOW": str(worker.dispatch_window),
        "PMDI_SEARCH__EMBEDDINGS": settings.search.embeddings,
        "PMDI_LIMITS__PER_USER": str(settings.limits.per_user),
        "PMDI_LIMITS__PER_IP": str(settings.limits.per_ip),
    }


@asynccontextmanager
async def cluster(tmp_root: Path) -> AsyncIterator[Cluster]:
    """PostgreSQL (fresh database) + Redis (own stream) + local files shared by every process."""
    await require_redis()
    async for url in fresh_database_url("postgresql", tmp_root):
        engine = create_engine(DatabaseSettings(url=url))
        await migrations.upgrade(engine)
        await engine.dispose()
        settings = make_settings(url, tmp_root / f"cluster-{uuid.uuid4().hex[:6]}")
        settings.redis_url = REDIS_URL
        settings.realtime = RealtimeSettings(backend="redis")
        # These tests load the job machinery with megabytes of generated text; embedding it would take
        # minutes and prove nothing about delivery (search is tested in test_search).
        settings.search = SearchSettings(embeddings="none")
        settings.worker = settings.worker.model_copy(
            update={
                "backend": "taskiq",
                "queue_name": f"pmdi:test:{uuid.uuid4().hex[:8]}",
                "lease_seconds": 3.0,
                "reconcile_seconds": 1.0,
                "poll_seconds": 0.5,
                "retry_backoff_seconds": 0.5,
                "dispatch_window": 6,
            }
        )
        running = Cluster(settings, env_for(settings))
        try:
            yield running
        finally:
            running.stop_all()
            await _drop_stream(settings.worker.queue_name)


@asynccontextmanager
async def embedded(tmp_root: Path) -> AsyncIterator[Cluster]:
    """The single-machine setup: `pmdi serve` with its in-process worker on SQLite and local files."""
    async for url in fresh_database_url("sqlite", tmp_root):
        engine = create_engine(DatabaseSettings(url=url))
        await migrations.upgrade(engine)
        await engine.dispose()
        settings = make_settings(url, tmp_root / f"embedded-{uuid.uuid4().hex[:6]}", worker=True)
        settings.search = SearchSettings(embeddings="none")
        settings.worker = settings.worker.model_copy(
            update={"lease_seconds": 3.0, "reconcile_seconds": 1.0, "poll_seconds": 0.5}
        )
        running = Cluster(settings, {**env_for(settings), "PMDI_WORKER__EMBEDDED": "true"})
        try:
            yield running
        finally:
            running.stop_all()


async def _drop_stream(name: str) -> None:
    import redis.asyncio as redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        await client.delete(name)
    finally:
        await client.aclose()
