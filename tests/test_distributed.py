"""The distributed backend for real: taskiq on the local Redis, `pmdi worker` processes, PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from pmdi.app import create_app
from pmdi.core.state import AppState
from pmdi.events.models import Event
from pmdi.jobs.models import Job, JobStage, JobState
from tests.cluster import PMDI, Cluster, cluster
from tests.conftest import client_for
from tests.helpers import Api, User
from tests.jobs_support import wait_settled

TRUNCATED_PDF = b"%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n"


def body(index: int, size: int) -> bytes:
    line = f"Meeting {index}: Ann will send the budget by Friday. Risk: vendor delay.\n".encode()
    return line * max(1, size // len(line))


async def upload_many(api: Api, owner: User, project: str, count: int, size: int) -> None:
    for start in range(0, count, 10):
        files = [(f"doc-{i}.txt", body(i, size)) for i in range(start, min(count, start + 10))]
        assert (await api.upload(owner, project, *files)).status_code == 201


async def processed_events(state: AppState) -> Counter[str]:
    async with state.sessionmaker() as session:
        rows = (await session.execute(select(Event.data).where(Event.type == "document.processed"))).scalars()
        return Counter(data["document_id"] for data in rows)


async def assert_exactly_once(state: AppState, expected_processed: int) -> None:
    async with state.sessionmaker() as session:
        succeeded = (
            await session.execute(
                select(Job.document_id, func.count())
                .where(Job.state == JobState.SUCCEEDED)
                .group_by(Job.document_id)
            )
        ).all()
    assert len(succeeded) == expected_processed
    assert all(count == 1 for _, count in succeeded), "a document succeeded twice"
    per_document = await processed_events(state)
    assert len(per_document) == expected_processed
    assert set(per_document.values()) == {1}, "a document was announced as processed twice"


@dataclass
class Deployment:
    running: Cluster
    app: FastAPI
    client: httpx.AsyncClient
    api: Api
    owner: User
    project: str


@asynccontextmanager
async def two_workers(tmp_root: Path) -> AsyncIterator[Deployment]:
    """Two `pmdi worker` processes, and an in-process API on the same database and Redis."""
    async with cluster(tmp_root) as running:
        running.start_worker()
        running.start_worker()
        app = create_app(running.settings)
        async with app.router.lifespan_context(app), client_for(app) as client:
            api = Api(client)
            owner = await api.user()
            await api.org(owner)
            yield Deployment(running, app, client, api, owner, await api.project(owner))


async def test_two_workers_share_the_queue(tmp_root: Path) -> None:
    async with two_workers(tmp_root) as deployment:
        app, client, owner = deployment.app, deployment.client, deployment.owner
        await upload_many(deployment.api, owner, deployment.project, 50, 20_000)
        settled = await wait_settled(client, owner, 50, within=120)
        assert {d["status"] for d in settled} == {"indexed"}
        state: AppState = app.state.pmdi
        await assert_exactly_once(state, 50)
        found = await client.get("/api/v1/search", params={"q": "Meeting 17"}, headers=owner.headers)
        assert (found.json()["mode"], found.json()["hits"][0]["filename"]) == ("keyword", "doc-17.txt")
        async with state.sessionmaker() as session:
            workers = (
                await session.execute(select(func.count(func.distinct(JobStage.worker_id))))
            ).scalar_one()
        assert workers == 2, "both worker processes should have taken jobs"


async def running_job_of(state: AppState, pids: set[int]) -> int | None:
    """A worker whose running jobs (it runs several) are all on their first attempt. A job killed three times
    rightly fails as a poison pill, so the test must not hit one job again, not even as a bystander."""
    running = select(Job.worker_id, Job.attempts).where(Job.state == JobState.RUNNING)
    async with state.sessionmaker() as session:
        rows = (await session.execute(running)).all()
    attempts: dict[int, int] = {}
    for worker_id, attempt in rows:
        pid = int(worker_id.split(":")[1]) if worker_id else -1
        attempts[pid] = max(attempts.get(pid, 0), attempt)
    return next((pid for pid, most in attempts.items() if pid in pids and most < 2), None)


async def kill_mid_stage(running: Cluster, app: FastAPI, kills: int) -> int:
    done = 0
    deadline = time.monotonic() + 120
    while done < kills and time.monotonic() < deadline:
        live = {w.pid: w for w in running.workers if w.poll() is None}
        pid = await running_job_of(app.state.pmdi, set(live))
        if pid is None:
            await asyncio.sleep(0.01)
            continue
        running.kill(live[pid])
        running.start_worker()
        done += 1
    return done


async def test_killed_workers_lose_nothing_and_duplicate_nothing(tmp_root: Path) -> None:
    async with two_workers(tmp_root) as deployment:
        running, app, client, api = deployment.running, deployment.app, deployment.client, deployment.api
        owner, project = deployment.owner, deployment.project
        hostile = await api.uploaded(owner, project, "hostile.pdf", TRUNCATED_PDF)
        await upload_many(api, owner, project, 50, 400_000)

        assert await kill_mid_stage(running, app, kills=10) == 10
        settled = await wait_settled(client, owner, 51, within=180)

        statuses = Counter(d["status"] for d in settled)
        reasons = [(d["filename"], d["error_reason"]) for d in settled if d["status"] == "failed"]
        assert statuses == {"indexed": 50, "failed": 1}, reasons
        failed = next(d for d in settled if d["id"] == hostile["id"])
        assert failed["error_reason"]
        await assert_exactly_once(app.state.pmdi, 50)


def test_worker_refuses_without_the_distributed_backend(tmp_path: Path) -> None:
    env = {**os.environ, "PMDI_DATA_DIR": str(tmp_path), "PMDI_WORKER__BACKEND": "inprocess"}
    result = subprocess.run(
        [PMDI, "worker"], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 2
    assert "PMDI_WORKER__BACKEND=taskiq" in result.stderr
