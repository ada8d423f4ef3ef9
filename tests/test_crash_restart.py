"""kill -9 mid-ingest, restart: every upload is processed exactly once, nothing is stuck, lost or half-stored.

Both deployments are real processes: `pmdi serve` with its embedded worker on SQLite, and `pmdi serve` with
two `pmdi worker` processes on PostgreSQL and Redis.
Leases are 3 s (tests/cluster.py), so recovery takes seconds.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Row, Select, select

from pmdi.config import DatabaseSettings
from pmdi.core.db import create_engine, create_sessionmaker
from pmdi.events.models import Event
from pmdi.jobs.models import ACTIVE_JOB_STATES, Job, JobState
from tests.cluster import Cluster, cluster, embedded
from tests.helpers import RemoteAccount, User, remote_account
from tests.jobs_support import wait_settled
from tests.test_server import free_port

# Minutes, status reports and retrospectives in three formats, from the shared corpus of real documents.
CORPUS_FILES = [
    "18f-tdrs-app-rfq/DRAFT_RFQ_TDRS.pdf",
    "bcgov-entity/CICD-projects-status.xlsx",
    "bcgov-entity/OCM_RetroNotes.md",
    "eslint-tsc/2023-06-29.md",
    "openjs-cpc/2020-09-01.md",
    "ossf-tac/2022-06-03.md",
    "rust-leadership-council/2023-10-27.md",
    "spdx-meetings/tech_2024-01-09.md",
]
GENERATED = 4
# After a restart, work resumes once the dead process's leases (3 s) expire, not after some longer timeout.
RESUMES_WITHIN = 12.0
IN_FLIGHT = (JobState.DISPATCHED, JobState.RUNNING)
ANALYSED_LISTS = ("action_items", "risks", "raid", "decisions", "milestones")


def notes(marker: str) -> bytes:
    """A small document (one search chunk) with a word no other document has, and register items."""
    return (
        f"Weekly sync {marker}.\nAction: Ann will send the {marker} budget by Friday.\n"
        f"Risk: vendor delay may slip the {marker} rollout.\nDecision: we adopt plan {marker}.\n"
    ).encode()


@dataclass
class Ingest:
    """What the client sent, by filename: acknowledged (201) or cut off by a kill (unknown outcome)."""

    account: RemoteAccount
    sent: dict[str, bytes] = field(default_factory=dict)
    unsure: dict[str, bytes] = field(default_factory=dict)
    markers: dict[str, str] = field(default_factory=dict)
    # Jobs inside a stage when their process was killed.
    interrupted: dict[str, int] = field(default_factory=dict)
    # Set once the upload streams have had a few files acknowledged: the server is busy taking uploads.
    streaming: asyncio.Event = field(default_factory=asyncio.Event)

    async def upload(self, client: httpx.AsyncClient, base: str, name: str, content: bytes) -> int:
        files = [("files", (name, content, "application/octet-stream"))]
        url = f"{base}/api/v1/projects/{self.account.project_id}/documents"
        response = await client.post(url, files=files, headers=self.account.headers)
        assert response.status_code in (200, 201), response.text
        self.sent[name] = content
        return response.status_code

    async def documents(self, client: httpx.AsyncClient, base: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:
            params = {"project_id": self.account.project_id, "limit": "200", "offset": str(len(found))}
            url = f"{base}/api/v1/documents"
            page = (await client.get(url, params=params, headers=self.account.headers)).json()
            found += page["items"]
            if len(found) >= page["total"]:
                return found


def corpus_files(corpus: Path) -> dict[str, bytes]:
    return {Path(name).name: (corpus / name).read_bytes() for name in CORPUS_FILES}


async def upload_initial(client: httpx.AsyncClient, base: str, ingest: Ingest, corpus: Path) -> None:
    for name, content in corpus_files(corpus).items():
        assert await ingest.upload(client, base, name, content) == 201
    for index in range(GENERATED):
        marker = f"crashmark{uuid.uuid4().hex[:10]}"
        ingest.markers[f"generated-{index}.txt"] = marker
        assert await ingest.upload(client, base, f"generated-{index}.txt", notes(marker)) == 201


async def wait_mid_pipeline(client: httpx.AsyncClient, base: str, ingest: Ingest) -> None:
    """Until a document is indexed and a job has taken a lease (is inside a stage)."""
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        statuses = {d["status"] for d in await ingest.documents(client, base)}
        assert "failed" not in statuses, await ingest.documents(client, base)
        if "indexed" in statuses and (await all_jobs(client, base, ingest, state="running")):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no job was ever inside a stage")


async def wait_resumed(
    client: httpx.AsyncClient, base: str, ingest: Ingest, in_flight: dict[str, int]
) -> None:
    """Jobs the dead process had taken or been handed (id -> attempts) are the oldest: once it is back,
    they run again after the dead process's leases expire, not after some longer timeout."""
    deadline = time.monotonic() + RESUMES_WITHIN
    while time.monotonic() < deadline:
        attempts = {job["id"]: job["attempts"] for job in await all_jobs(client, base, ingest)}
        if any(attempts[job_id] > before for job_id, before in in_flight.items()):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"none of the interrupted jobs ran again within {RESUMES_WITHIN}s")


async def all_jobs(
    client: httpx.AsyncClient, base: str, ingest: Ingest, **params: str
) -> list[dict[str, Any]]:
    query = {"limit": "200", **params}
    page = (await client.get(f"{base}/api/v1/jobs", params=query, headers=ingest.account.headers)).json()
    assert page["total"] <= 200
    items: list[dict[str, Any]] = page["items"]
    return items


async def storm(client: httpx.AsyncClient, base: str, ingest: Ingest, lane: int) -> None:
    """Upload small files back to back until the server dies; the last one's request is cut off."""
    for index in range(1000):
        name, marker = f"storm-{lane}-{index}.txt", f"crashmark{uuid.uuid4().hex[:10]}"
        ingest.unsure[name], ingest.markers[name] = notes(marker), marker
        try:
            await ingest.upload(client, base, name, ingest.unsure[name])
        except httpx.TransportError:
            return
        del ingest.unsure[name]
        if sum(n.startswith("storm-") for n in ingest.sent) >= 4:
            ingest.streaming.set()


async def cut_off_upload(
    client: httpx.AsyncClient, base: str, ingest: Ingest, half_sent: asyncio.Event, killed: asyncio.Event
) -> None:
    """A request whose body is half on the server when the server is killed."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="cut-off.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    body = head + notes("cutoff") * 4000 + f"\r\n--{boundary}--\r\n".encode()

    async def chunks() -> AsyncIterator[bytes]:
        yield body[: len(body) // 2]
        half_sent.set()
        await killed.wait()
        yield body[len(body) // 2 :]

    headers = {**ingest.account.headers, "content-type": f"multipart/form-data; boundary={boundary}"}
    url = f"{base}/api/v1/projects/{ingest.account.project_id}/documents"
    try:
        response = await client.post(url, content=chunks(), headers=headers)
    except httpx.TransportError:
        return
    raise AssertionError(f"the cut-off upload got an answer: {response.status_code}")


async def kill_during_uploads(
    client: httpx.AsyncClient, base: str, ingest: Ingest, kill: Callable[[], None]
) -> None:
    """Two upload streams and a half-sent request in flight, then `kill`."""
    half_sent, killed = asyncio.Event(), asyncio.Event()
    tasks = [
        asyncio.create_task(cut_off_upload(client, base, ingest, half_sent, killed)),
        *(asyncio.create_task(storm(client, base, ingest, lane)) for lane in range(2)),
    ]
    await asyncio.wait_for(half_sent.wait(), 10)
    await asyncio.wait_for(ingest.streaming.wait(), 10)
    kill()
    killed.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 15)


async def settle_unsure(client: httpx.AsyncClient, base: str, ingest: Ingest) -> None:
    """A request cut off by the kill left its document complete or not at all; the client then retries."""
    by_name = {d["filename"]: d for d in await ingest.documents(client, base)}
    assert "cut-off.txt" not in by_name, "a half-received upload became a document"
    for name, content in ingest.unsure.items():
        if name in by_name:
            stored = await client.get(
                f"{base}/api/v1/documents/{by_name[name]['id']}/content", headers=ingest.account.headers
            )
            assert stored.content == content, f"{name} was stored incomplete"
            ingest.sent[name] = content
        else:
            assert await ingest.upload(client, base, name, content) == 201
    ingest.unsure.clear()


async def analysed_items(client: httpx.AsyncClient, base: str, ingest: Ingest, document_id: str) -> int:
    analysis = await client.get(
        f"{base}/api/v1/documents/{document_id}/analysis", headers=ingest.account.headers
    )
    assert analysis.status_code == 200, analysis.text
    return sum(len(analysis.json()[key]) for key in ANALYSED_LISTS)


async def register_mentions(client: httpx.AsyncClient, base: str, ingest: Ingest) -> Counter[str]:
    """Mentions of extracted items in the project's registers, per document, each seen once at most."""
    url, headers = f"{base}/api/v1/register-items", ingest.account.headers
    item_ids: list[str] = []
    while True:
        params = {"project": ingest.account.project_id, "limit": "200", "offset": str(len(item_ids))}
        page = (await client.get(url, params=params, headers=headers)).json()
        item_ids += [item["id"] for item in page["items"]]
        if len(item_ids) >= page["total"]:
            break
    mentions = [
        mention
        for item_id in item_ids
        for mention in (await client.get(f"{url}/{item_id}", headers=headers)).json()["mentions"]
        if mention["kind"] == "item"
    ]
    keys = Counter((m["document_id"], m["start"], m["quote"]) for m in mentions)
    assert max(keys.values(), default=1) == 1, "a document's item is mentioned twice in the registers"
    return Counter(m["document_id"] for m in mentions)


async def read(database_url: str, stmt: Select[Any]) -> list[Row[Any]]:
    """Straight from the database (while no API process is up, or where no endpoint shows it)."""
    engine = create_engine(DatabaseSettings(url=database_url))
    try:
        async with create_sessionmaker(engine)() as session:
            return list((await session.execute(stmt)).all())
    finally:
        await engine.dispose()


async def jobs_in(database_url: str, *states: JobState) -> dict[str, int]:
    """The jobs in these states, with their attempts."""
    rows = await read(database_url, select(Job.id, Job.attempts).where(Job.state.in_(states)))
    return {str(job_id): attempts for job_id, attempts in rows}


async def processed_announcements(database_url: str) -> Counter[str]:
    rows = await read(database_url, select(Event.data).where(Event.type == "document.processed"))
    return Counter(data["document_id"] for (data,) in rows)


async def assert_exactly_once(
    client: httpx.AsyncClient, base: str, ingest: Ingest, database_url: str
) -> None:
    documents = await ingest.documents(client, base)
    names = Counter(d["filename"] for d in documents)
    assert names == Counter(list(ingest.sent)), "documents lost or duplicated"
    assert {d["status"] for d in documents} == {"indexed"}, [
        (d["filename"], d["error_reason"]) for d in documents
    ]
    mentions, attempts = await register_mentions(client, base, ingest), {}
    for document in documents:
        jobs = await all_jobs(client, base, ingest, document_id=document["id"])
        assert [j["state"] for j in jobs if j["state"] in ACTIVE_JOB_STATES] == []
        assert [j["state"] for j in jobs].count("succeeded") == 1, (document["filename"], jobs)
        attempts |= {j["id"]: j["attempts"] for j in jobs}
        content = await client.get(
            f"{base}/api/v1/documents/{document['id']}/content", headers=ingest.account.headers
        )
        assert content.content == ingest.sent[document["filename"]], f"{document['filename']} changed"
        assert mentions[document["id"]] == await analysed_items(client, base, ingest, document["id"])
    assert ingest.interrupted, "no job was inside a stage: the kill missed the pipeline"
    assert all(attempts[job_id] > before for job_id, before in ingest.interrupted.items())
    await assert_searchable_once(client, base, ingest, documents)
    announced = await processed_announcements(database_url)
    assert announced == Counter(d["id"] for d in documents), "a document was announced as processed twice"


async def assert_searchable_once(
    client: httpx.AsyncClient, base: str, ingest: Ingest, documents: list[dict[str, Any]]
) -> None:
    """Each generated document is one chunk: its unique word finds exactly that chunk, once."""
    ids = {d["filename"]: d["id"] for d in documents}
    for name, marker in ingest.markers.items():
        if name not in ids:
            continue
        params = {"q": marker, "project": ingest.account.project_id}
        hits = (
            await client.get(f"{base}/api/v1/search", params=params, headers=ingest.account.headers)
        ).json()
        assert [h["document_id"] for h in hits["hits"]] == [ids[name]], (name, hits["hits"])


@dataclass
class Scenario:
    """How a deployment starts (again) and dies (kill -9)."""

    running: Cluster
    start: Callable[[], str]
    kill: Callable[[], None]


async def restart(
    client: httpx.AsyncClient, scenario: Scenario, ingest: Ingest, in_flight: dict[str, int]
) -> str:
    base = scenario.start()
    await wait_resumed(client, base, ingest, in_flight)
    return base


async def crash_and_recover(scenario: Scenario, corpus: Path, settle_within: float) -> None:
    running = scenario.running
    database_url = running.settings.database.url
    base = scenario.start()
    ingest = Ingest(await remote_account(base, "crash"))
    async with httpx.AsyncClient(timeout=30) as client:
        try:
            await upload_initial(client, base, ingest, corpus)
            await wait_mid_pipeline(client, base, ingest)
            await kill_during_uploads(client, base, ingest, scenario.kill)
            ingest.interrupted = await jobs_in(database_url, JobState.RUNNING)
            base = await restart(client, scenario, ingest, await jobs_in(database_url, *IN_FLIGHT))
            await settle_unsure(client, base, ingest)
            async with httpx.AsyncClient(base_url=base, timeout=30) as api:
                user = User(email="", id="", headers=ingest.account.headers)
                await wait_settled(api, user, len(ingest.sent), within=settle_within)
            await assert_exactly_once(client, base, ingest, database_url)
        except BaseException:
            print(running.logs())
            raise


async def test_embedded_server_killed_mid_ingest_recovers_everything_once(
    tmp_root: Path, corpus: Path
) -> None:
    async with embedded(tmp_root) as running:

        def start() -> str:
            return running.start_server(free_port())

        def kill() -> None:
            running.kill(running.servers[-1][0])

        await crash_and_recover(Scenario(running, start, kill), corpus, settle_within=90)


async def test_scaled_out_api_and_workers_killed_mid_ingest_recover_everything_once(
    tmp_root: Path, corpus: Path
) -> None:
    async with cluster(tmp_root) as running:

        def start() -> str:
            running.start_worker()
            running.start_worker()
            return running.start_server(free_port())

        def kill() -> None:
            # The API process taking the uploads, and every worker (each mid-stage on some job).
            live = [w for w in running.workers if w.poll() is None]
            for process in [running.servers[-1][0], *live]:
                running.kill(process)

        await crash_and_recover(Scenario(running, start, kill), corpus, settle_within=90)
