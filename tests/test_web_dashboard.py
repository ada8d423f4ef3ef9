"""The dashboard over HTTP: its numbers, its charts, its organisation's data only, and escaping.

Register items and processed documents come through the public API; documents, jobs and AI usage in bulk are
written straight to the database, as no API creates processed documents or usage without running the
pipeline (the upload test does run it)."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from sqlalchemy import event

from pmdi.core.db import utcnow
from pmdi.documents.models import Document
from pmdi.jobs.models import Job, JobStage
from pmdi.llm.models import LLMUsage
from pmdi.web.charts import NO_VALUE
from tests.conftest import client_for
from tests.helpers import PASSWORD, Api, User, text_file
from tests.jobs_support import fresh_app, wait_settled

HOSTILE = "<script>alert(1)</script>"


async def signed_in(client: httpx.AsyncClient, email: str) -> None:
    response = await client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 303, response.text


async def page(client: httpx.AsyncClient, query: str = "") -> HTMLParser:
    response = await client.get(f"/dashboard{query}")
    assert response.status_code == 200, response.text
    assert "style=" not in response.text
    assert "<script>" not in response.text.replace('<script src="/static/', "")
    return HTMLParser(response.text)


def table(tree: HTMLParser, key: str) -> dict[str, list[str]]:
    """A chart's screen-reader table: row heading → its cells."""
    node = tree.css_first(f"#{key}-data")
    assert node is not None, key
    return {
        row.css_first("th").text(): [cell.text() for cell in row.css("td")] for row in node.css("tbody tr")
    }


def bars(tree: HTMLParser, key: str) -> int:
    return len(tree.css(f"#chart-{key} rect.bar"))


def headline(tree: HTMLParser) -> dict[str, str]:
    return {node.attributes["id"] or "": node.text() for node in tree.css(".counts strong")}


async def items(api: Api, owner: User, project: str, *specs: dict[str, str]) -> None:
    for spec in specs:
        created = await api.client.post(
            "/api/v1/register-items", json={"project_id": project, **spec}, headers=owner.headers
        )
        assert created.status_code == 201, created.text


def document(org: str, project: str, status: str, processed_at: dt.datetime | None) -> Document:
    key = uuid.uuid4().hex
    return Document(
        id=uuid.uuid4(),
        organization_id=uuid.UUID(org),
        project_id=uuid.UUID(project),
        original_filename="a.txt",
        filename="a.txt",
        media_type="text/plain",
        size_bytes=1,
        sha256=key,
        storage_key=key,
        status=status,
        processed_at=processed_at,
    )


def usage(org: str, document_id: uuid.UUID, at: dt.datetime, cost: float) -> LLMUsage:
    return LLMUsage(
        organization_id=uuid.UUID(org),
        document_id=document_id,
        month=f"{at:%Y-%m}",
        provider="openai",
        model="m",
        tokens_in=900,
        tokens_out=100,
        cost_usd=cost,
        created_at=at,
    )


async def saved(app: FastAPI, rows: list[Any]) -> None:
    async with app.state.pmdi.sessionmaker() as session:
        session.add_all(rows)
        await session.commit()


async def documents(
    app: FastAPI, org: str, project: str, processed: int, failed: int = 0, cost: float = 0.0
) -> None:
    """`processed` documents processed now, `failed` failed ones; the first had an AI run costing `cost`."""
    now = utcnow()
    rows: list[Any] = [document(org, project, "indexed", now) for _ in range(processed)]
    rows += [document(org, project, "failed", None) for _ in range(failed)]
    await saved(app, [*rows, usage(org, rows[0].id, now, cost)])


async def organisation(api: Api, name: str, project_name: str) -> tuple[User, str, str]:
    owner = await api.user(name)
    org = await api.org(owner, name)
    return owner, org, await api.project(owner, project_name)


async def test_an_empty_organisation_gets_charts_of_zeros(api: Api, client: httpx.AsyncClient) -> None:
    owner, _, _ = await organisation(api, "dash-empty", "Quiet")
    await signed_in(client, owner.email)
    tree = await page(client, "?days=7")
    assert set(headline(tree).values()) == {"0"}
    today = utcnow().date()
    assert list(table(tree, "documents")) == [
        (today - dt.timedelta(days=n)).isoformat() for n in range(6, -1, -1)
    ]
    assert set(map(tuple, table(tree, "documents").values())) == {("0",)}
    assert set(map(tuple, table(tree, "timing").values())) == {(NO_VALUE, NO_VALUE)}
    assert (bars(tree, "documents"), bars(tree, "timing"), bars(tree, "cost")) == (7, 14, 7)
    assert table(tree, "actions") == {"All projects": ["0", "0"]}
    assert table(tree, "risks") == {"High": ["0"], "Medium": ["0"], "Low": ["0"], "Unrated": ["0"]}
    assert len(tree.css("svg[role=img] > title")) == 5
    assert bars(await page(client, "?days=365"), "documents") == 365


async def test_numbers_come_from_the_organisations_own_data(
    app: FastAPI, api: Api, client: httpx.AsyncClient
) -> None:
    owner, org, falcon = await organisation(api, "dash-a", "Falcon")
    hostile = await api.project(owner, HOSTILE)
    await items(
        api,
        owner,
        falcon,
        {"kind": "action", "text": "Send the budget"},
        {"kind": "action", "text": "Book the room", "status": "in_progress"},
        {"kind": "action", "text": "Order servers", "status": "done"},
        {"kind": "risk", "text": "Supplier late", "severity": "high"},
        {"kind": "risk", "text": "Budget cut", "severity": "high", "status": "mitigating"},
        {"kind": "risk", "text": "Old risk", "severity": "high", "status": "closed"},
    )
    await items(
        api,
        owner,
        hostile,
        {"kind": "action", "text": HOSTILE, "status": "cancelled"},
        {"kind": "risk", "text": HOSTILE, "severity": "low"},
        {"kind": "risk", "text": "Unknown"},
    )
    await documents(app, org, falcon, processed=3, failed=1, cost=0.25)
    other, other_org, secret = await organisation(api, "dash-b", "Secret Osprey")
    await items(api, other, secret, *({"kind": "action", "text": f"B {n}"} for n in range(7)))
    await documents(app, other_org, secret, processed=9, cost=4.5)

    await signed_in(client, owner.email)
    response = await client.get("/dashboard")
    assert response.status_code == 200
    tree = HTMLParser(response.text)
    assert headline(tree) == {
        "kpi-documents": "4",
        "kpi-processed": "3",
        "kpi-failed": "1",
        "kpi-open-actions": "2",
        "kpi-high-risks": "2",
    }
    assert table(tree, "documents")[utcnow().date().isoformat()] == ["3"]
    assert table(tree, "cost")[utcnow().date().isoformat()] == ["$0.25"]
    assert table(tree, "actions") == {"Falcon": ["2", "1"], HOSTILE: ["0", "1"]}
    assert table(tree, "risks") == {"High": ["2"], "Medium": ["0"], "Low": ["1"], "Unrated": ["1"]}
    assert bars(tree, "actions") == 4
    assert "Secret Osprey" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "<script>alert" not in response.text

    async with client_for(app) as theirs:
        await signed_in(theirs, other.email)
        tree = await page(theirs)
        assert headline(tree)["kpi-processed"] == "9"
        assert headline(tree)["kpi-open-actions"] == "7"
        assert table(tree, "cost")[utcnow().date().isoformat()] == ["$4.50"]
        assert table(tree, "actions") == {"Secret Osprey": ["7", "0"]}
        assert "Falcon" not in str(tree.html)


async def test_a_project_filter_narrows_and_foreign_projects_are_not_found(
    app: FastAPI, api: Api, client: httpx.AsyncClient
) -> None:
    owner, org, falcon = await organisation(api, "dash-filter", "Falcon")
    heron = await api.project(owner, "Heron")
    await items(
        api,
        owner,
        falcon,
        {"kind": "action", "text": "One"},
        {"kind": "risk", "text": "R", "severity": "medium"},
    )
    await items(api, owner, heron, *({"kind": "action", "text": f"H {n}"} for n in range(3)))
    await documents(app, org, falcon, processed=2, cost=0.5)
    await documents(app, org, heron, processed=5, cost=1.0)
    _, _, foreign = await organisation(api, "dash-stranger", "Elsewhere")

    await signed_in(client, owner.email)
    tree = await page(client, f"?project={falcon}&days=7")
    assert headline(tree)["kpi-processed"] == "2"
    assert headline(tree)["kpi-open-actions"] == "1"
    assert table(tree, "actions") == {"Falcon": ["1", "0"]}
    assert table(tree, "cost")[utcnow().date().isoformat()] == ["$0.50"]
    assert table(tree, "risks")["Medium"] == ["1"]
    assert headline(await page(client, "?project=&days=7"))["kpi-processed"] == "7"
    for query in (f"?project={foreign}", f"?project={uuid.uuid4()}", "?project=not-a-uuid"):
        assert (await client.get(f"/dashboard{query}")).status_code == 404, query
    assert (await client.get("/dashboard?days=3")).status_code == 422
    assert (await client.get("/dashboard?days=366")).status_code == 422


async def test_processed_uploads_show_their_counts_and_timings(backend: str, tmp_root: Path) -> None:
    async with fresh_app(backend, tmp_root, embedded=True) as (app, _), client_for(app) as client:
        api = Api(client)
        owner, _, project = await organisation(api, "dash-pipeline", "Pipeline")
        await api.uploaded(owner, project, "notes.md", text_file())
        await api.uploaded(owner, project, "minutes.txt", text_file())
        await api.uploaded(owner, project, "broken.pdf", b"%PDF-1.4\n1 0 obj\n")
        await wait_settled(client, owner, 3)
        await signed_in(client, owner.email)
        tree = await page(client, "?days=7")
    today = utcnow().date().isoformat()
    counts = headline(tree)
    assert (counts["kpi-documents"], counts["kpi-processed"], counts["kpi-failed"]) == ("3", "2", "1")
    assert table(tree, "documents")[today] == ["2"]
    p95, median = table(tree, "timing")[today]
    assert float(p95.removesuffix(" s")) >= float(median.removesuffix(" s")) > 0
    stages = {
        row.css_first("th").text(): row.css("td")[0].text() for row in tree.css("table.stages tbody tr")
    }
    assert set(stages) == {"extract", "analyze", "index"}
    assert set(stages.values()) == {"2"}


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    engine = app.state.pmdi.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def busy(app: FastAPI, org: str, project: str, n: int) -> None:
    """`n` documents processed within the last 30 days, each with a three-stage job and an AI run."""
    now, rows = utcnow(), list[Any]()
    for i in range(n):
        done = now - dt.timedelta(days=i % 29, minutes=i)
        doc = document(org, project, "indexed", done)
        job = Job(
            id=uuid.uuid4(),
            organization_id=doc.organization_id,
            document_id=doc.id,
            state="succeeded",
            started_at=done,
            finished_at=done,
        )
        rows += [doc, job, usage(org, doc.id, done, 0.01)]
        rows += [
            JobStage(
                organization_id=doc.organization_id,
                job_id=job.id,
                stage=stage,
                state="succeeded",
                duration_ms=100 + i,
            )
            for stage in ("extract", "analyze", "index")
        ]
    await saved(app, rows)


async def test_a_thousand_documents_take_no_more_queries_than_none(
    app: FastAPI, api: Api, client: httpx.AsyncClient
) -> None:
    owner, org, project = await organisation(api, "dash-busy", "Busy")
    await signed_in(client, owner.email)
    await page(client)  # who is signed in is remembered from here on, for both measured requests alike
    with statements(app) as empty:
        await page(client)
    await busy(app, org, project, 1000)
    with statements(app) as full:
        started = time.perf_counter()
        tree = await page(client)
        elapsed = time.perf_counter() - started
    assert headline(tree)["kpi-documents"] == "1000"
    assert headline(tree)["kpi-processed"] == "1000"
    assert sum(int(cells[0]) for cells in table(tree, "documents").values()) == 1000
    assert len(full) == len(empty), full
    assert elapsed < 5, f"/dashboard took {elapsed:.2f}s with 1,000 documents"
