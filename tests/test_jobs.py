"""Background processing with the embedded worker, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from pmdi.core.db import after_commit, utcnow
from pmdi.core.state import AppState
from pmdi.documents.models import Document, DocumentStatus
from pmdi.events.models import Event
from pmdi.extraction.stage import EXTRACT
from pmdi.jobs.errors import PermanentStageError, TransientStageError
from pmdi.jobs.models import Job, JobState
from pmdi.jobs.pipeline import Stage, StageInput, default_pipeline
from pmdi.jobs.reconciler import reconcile
from pmdi.jobs.worker import EmbeddedWorker
from tests.conftest import client_for
from tests.helpers import NOT_FAILED, PIPELINE_EVENTS, Api, text_file
from tests.jobs_support import fresh_app, wait_settled

NOTES = b"# Weekly sync\n\nAnn will send the budget by Friday.\n\n- Review the risk register\n"


async def org_events(state: AppState, document_id: str) -> list[tuple[str, dict[str, Any]]]:
    async with state.sessionmaker() as session:
        rows = (await session.execute(select(Event).order_by(Event.id))).scalars().all()
    return [(e.type, e.data) for e in rows if e.data.get("document_id") == document_id]


async def test_uploads_are_processed_in_the_background(backend: str, tmp_root: Path) -> None:
    async with fresh_app(backend, tmp_root, embedded=True) as (app, _), client_for(app) as client:
        api = Api(client)
        owner = await api.user()
        await api.org(owner)
        project = await api.project(owner)
        notes = await api.uploaded(owner, project, "minutes.md", NOTES)
        truncated = await api.uploaded(owner, project, "broken.pdf", b"%PDF-1.4\n1 0 obj\n")
        text = await api.uploaded(owner, project, "notes.txt", b"line one\nline two words\n")
        settled = {d["id"]: d for d in await wait_settled(client, owner, 3)}

        assert settled[notes["id"]]["status"] == "indexed"
        assert settled[text["id"]]["status"] == "indexed"
        assert settled[truncated["id"]]["status"] == "failed"
        assert settled[truncated["id"]]["error_reason"]

        extracted = await client.get(f"/api/v1/documents/{notes['id']}/text", headers=owner.headers)
        body = extracted.json()
        assert "Ann will send the budget by Friday." in body["text"]
        assert all(body["text"][b["start"] : b["end"]] == b["text"] for b in body["blocks"])
        failed_text = await client.get(f"/api/v1/documents/{truncated['id']}/text", headers=owner.headers)
        assert failed_text.status_code == 409

        jobs = await client.get("/api/v1/jobs", params={"document_id": notes["id"]}, headers=owner.headers)
        job = jobs.json()["items"][0]
        assert (job["state"], job["progress"], job["attempts"]) == ("succeeded", 100, 1)
        detail = (await client.get(f"/api/v1/jobs/{job['id']}", headers=owner.headers)).json()
        extract, analyze, index = detail["stages"]
        assert (extract["stage"], extract["state"], extract["attempts"]) == ("extract", "succeeded", 1)
        assert (extract["result"]["pages"], extract["result"]["chars"]) == (1, len(body["text"]))
        assert extract["duration_ms"] >= 0
        assert (analyze["stage"], analyze["state"], analyze["result"]["action_items"]) == (
            "analyze",
            "succeeded",
            1,
        )
        assert (index["stage"], index["state"], index["result"]["chunks"]) == ("index", "succeeded", 1)

        analysis = (
            await client.get(f"/api/v1/documents/{notes['id']}/analysis", headers=owner.headers)
        ).json()
        [item] = analysis["action_items"]
        assert (item["owner"], body["text"][item["evidence"]["start"] : item["evidence"]["end"]]) == (
            "Ann",
            item["evidence"]["quote"],
        )
        assert "budget" in item["text"]
        not_analyzed = await client.get(
            f"/api/v1/documents/{truncated['id']}/analysis", headers=owner.headers
        )
        assert not_analyzed.status_code == 409

        types = [t for t, _ in await org_events(app.state.pmdi, notes["id"])]
        assert types == PIPELINE_EVENTS
        failed = [t for t, _ in await org_events(app.state.pmdi, truncated["id"])]
        assert failed[-1] == "document.failed"


def flaky_stage(failures: int, permanent: bool = False) -> tuple[Stage, list[int]]:
    calls: list[int] = []

    async def compute(stage_input: StageInput) -> dict[str, Any]:
        calls.append(1)
        if len(calls) <= failures:
            error = PermanentStageError if permanent else TransientStageError
            raise error(f"boom {len(calls)}")
        return {"calls": len(calls)}

    async def save(session: Any, document: Any, result: dict[str, Any]) -> dict[str, Any]:
        return result

    return Stage("flaky", DocumentStatus.INDEXING, DocumentStatus.INDEXED, compute, save), calls


async def run_with(app_state: AppState, stages: list[Stage]) -> EmbeddedWorker:
    worker = EmbeddedWorker(app_state, stages)
    worker.start()
    return worker


async def test_transient_errors_are_retried_with_backoff(backend: str, tmp_root: Path) -> None:
    settings = {"retry_backoff_seconds": 0.2, "max_attempts": 3}
    async with fresh_app(backend, tmp_root, **settings) as (app, _), client_for(app) as client:
        api = Api(client)
        owner = await api.user()
        await api.org(owner)
        document = await api.uploaded(owner, await api.project(owner), "a.txt", text_file())
        stage, calls = flaky_stage(failures=2)
        worker = await run_with(app.state.pmdi, [stage])
        try:
            [done] = await wait_settled(client, owner, 1)
        finally:
            await worker.stop()
        assert done["status"] == "indexed"
        assert len(calls) == 3
        job = (
            await client.get("/api/v1/jobs", params={"document_id": document["id"]}, headers=owner.headers)
        ).json()
        assert job["items"][0]["attempts"] == 3
        retries = [d for t, d in await org_events(app.state.pmdi, document["id"]) if "retry_in_seconds" in d]
        assert [r["retry_in_seconds"] for r in retries] == [0.2, 0.4]


async def test_permanent_errors_fail_fast_and_retries_run_out(backend: str, tmp_root: Path) -> None:
    settings = {"retry_backoff_seconds": 0.05, "max_attempts": 2}
    async with fresh_app(backend, tmp_root, **settings) as (app, _), client_for(app) as client:
        api = Api(client)
        owner = await api.user()
        await api.org(owner)
        project = await api.project(owner)
        await api.uploaded(owner, project, "a.txt", text_file())
        permanent, permanent_calls = flaky_stage(failures=99, permanent=True)
        worker = await run_with(app.state.pmdi, [permanent])
        try:
            [failed] = await wait_settled(client, owner, 1)
        finally:
            await worker.stop()
        assert (failed["status"], failed["error_reason"], len(permanent_calls)) == ("failed", "boom 1", 1)

        await api.uploaded(owner, project, "b.txt", text_file())
        transient, transient_calls = flaky_stage(failures=99)
        worker = await run_with(app.state.pmdi, [transient])
        try:
            settled = await wait_settled(client, owner, 2)
        finally:
            await worker.stop()
        assert [d["error_reason"] for d in settled if d["filename"] == "b.txt"] == ["boom 2"]
        assert len(transient_calls) == 2


async def test_cancel_waiting_and_running_jobs(backend: str, tmp_root: Path) -> None:
    async with fresh_app(backend, tmp_root) as (app, _), client_for(app) as client:
        api = Api(client)
        owner = await api.user()
        await api.org(owner)
        project = await api.project(owner)
        waiting = await api.uploaded(owner, project, "wait.txt", text_file())
        cancelled = await client.post(f"/api/v1/documents/{waiting['id']}/cancel", headers=owner.headers)
        assert cancelled.json()["status"] == "cancelled"

        started = asyncio.Event()
        release = asyncio.Event()

        async def slow(stage_input: StageInput) -> dict[str, Any]:
            started.set()
            await release.wait()
            return {}

        stages = [
            Stage("slow", DocumentStatus.EXTRACTING, DocumentStatus.EXTRACTING, slow, EXTRACT.save),
            EXTRACT,
        ]
        running = await api.uploaded(owner, project, "run.txt", text_file())
        worker = await run_with(app.state.pmdi, stages)
        try:
            await asyncio.wait_for(started.wait(), 10)
            busy = await client.post(f"/api/v1/documents/{running['id']}/reprocess", headers=owner.headers)
            assert busy.status_code == 409
            await client.post(f"/api/v1/documents/{running['id']}/cancel", headers=owner.headers)
            release.set()
            settled = {d["id"]: d["status"] for d in await wait_settled(client, owner, 2)}
        finally:
            await worker.stop()
        assert settled == {waiting["id"]: "cancelled", running["id"]: "cancelled"}
        detail = await client.get(
            "/api/v1/jobs", params={"document_id": running["id"]}, headers=owner.headers
        )
        assert detail.json()["items"][0]["state"] == "cancelled"


async def test_reconciler_recovers_dead_workers_and_orphans(backend: str, tmp_root: Path) -> None:
    async with fresh_app(backend, tmp_root) as (app, _), client_for(app) as client:
        state: AppState = app.state.pmdi
        api = Api(client)
        owner = await api.user()
        await api.org(owner)
        project = await api.project(owner)
        dead = await api.uploaded(owner, project, "dead.txt", text_file())
        orphan = await api.uploaded(owner, project, "orphan.txt", text_file())
        earlier = await api.uploaded(owner, project, "earlier.txt", text_file())
        async with state.sessionmaker() as session:
            # A worker took the job and vanished; the other document lost its job entirely.
            await session.execute(
                update(Job)
                .where(Job.document_id == uuid.UUID(dead["id"]))
                .values(state=JobState.RUNNING, worker_id="gone", attempts=1, lease_expires_at=utcnow())
            )
            await session.execute(
                update(Job).where(Job.document_id == uuid.UUID(orphan["id"])).values(state=JobState.CANCELLED)
            )
            # Analysed by a version without the index stage: finished then, half done now.
            earlier_id = uuid.UUID(earlier["id"])
            await session.execute(
                update(Job).where(Job.document_id == earlier_id).values(state=JobState.SUCCEEDED)
            )
            await session.execute(
                update(Document).where(Document.id == earlier_id).values(status=DocumentStatus.ANALYZED)
            )
            await session.commit()
        assert await reconcile(state) == 3
        worker = await run_with(state, default_pipeline())
        try:
            settled = await wait_settled(client, owner, 3)
        finally:
            await worker.stop()
        assert {d["status"] for d in settled} == {"indexed"}


async def test_reprocess_document_and_project(backend: str, tmp_root: Path) -> None:
    async with fresh_app(backend, tmp_root, embedded=True) as (app, _), client_for(app) as client:
        api = Api(client)
        owner = await api.user()
        await api.org(owner)
        project = await api.project(owner)
        first = await api.uploaded(owner, project, "a.txt", text_file())
        await api.uploaded(owner, project, "b.txt", text_file())
        await wait_settled(client, owner, 2)
        again = await client.post(f"/api/v1/documents/{first['id']}/reprocess", headers=owner.headers)
        assert again.json()["status"] in NOT_FAILED
        await wait_settled(client, owner, 2)
        whole = await client.post(f"/api/v1/projects/{project}/reprocess", headers=owner.headers)
        assert whole.json()["queued"] + whole.json()["skipped_active"] == 2
        await wait_settled(client, owner, 2)
        jobs = await client.get("/api/v1/jobs", params={"state": "succeeded"}, headers=owner.headers)
        assert jobs.json()["total"] >= 4


async def test_fair_between_organisations(backend: str, tmp_root: Path) -> None:
    """500 waiting documents of one organisation do not delay another organisation's single upload."""
    async with (
        fresh_app(backend, tmp_root, concurrency=1, dispatch_window=2) as (app, _),
        client_for(app) as client,
    ):
        api = Api(client)
        big, small = await api.user("big"), await api.user("small")
        await api.org(big)
        await api.org(small)
        big_project, small_project = await api.project(big), await api.project(small)
        for batch in range(25):
            files = [(f"{batch}-{i}.txt", text_file(f"{batch}-{i}")) for i in range(20)]
            assert (await api.upload(big, big_project, *files)).status_code == 201
        worker = await run_with(app.state.pmdi, default_pipeline())
        try:
            await asyncio.sleep(0.5)
            mine = await api.uploaded(small, small_project, "mine.txt", text_file())
            await wait_settled(client, small, 1)
        finally:
            await worker.stop()
        async with app.state.pmdi.sessionmaker() as session:
            mine_queued, mine_started = (
                await session.execute(
                    select(Job.created_at, Job.started_at).where(Job.document_id == uuid.UUID(mine["id"]))
                )
            ).one()
            ahead = (
                await session.execute(
                    select(Job.id).where(Job.started_at > mine_queued, Job.started_at < mine_started)
                )
            ).all()
            remaining = (await session.execute(select(Job.id).where(Job.state == JobState.QUEUED))).all()
        # At most the jobs already handed to the engine (the window) and the one being started.
        assert len(ahead) <= 4, f"{len(ahead)} jobs of the busy organisation started first"
        assert len(remaining) > 300, "the busy organisation's backlog should still be waiting"


async def test_the_final_status_and_the_finished_job_commit_together(backend: str, tmp_root: Path) -> None:
    """Clients polling documents must never see one processed while its job still runs."""
    async with fresh_app(backend, tmp_root) as (app, _), client_for(app) as client:
        state: AppState = app.state.pmdi
        seen: list[str] = []

        async def compute(stage_input: StageInput) -> dict[str, Any]:
            return {}

        async def save(session: Any, document: Document, result: dict[str, Any]) -> dict[str, Any]:
            async def look() -> None:
                async with state.sessionmaker() as fresh:
                    job = (
                        await fresh.execute(select(Job).where(Job.document_id == document.id))
                    ).scalar_one()
                    seen.append(job.state)

            after_commit(session, look)
            return {}

        last = Stage("last", DocumentStatus.INDEXING, DocumentStatus.INDEXED, compute, save)
        api = Api(client)
        owner = await api.user()
        await api.org(owner)
        await api.uploaded(owner, await api.project(owner), "a.txt", text_file())
        worker = await run_with(state, [last])
        try:
            [done] = await wait_settled(client, owner, 1)
            # The hook runs just after the commit this poll can already see: stopping now would cancel it.
            for _ in range(50):
                if seen:
                    break
                await asyncio.sleep(0.1)
        finally:
            await worker.stop()
        assert done["status"] == "indexed"
        assert seen == [JobState.SUCCEEDED]
