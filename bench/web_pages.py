"""Server time of the web pages with 1,000 documents (and 3,000 register items) in one project.

The app runs in-process (httpx over ASGI, so the figure is the server's time plus a thin client), signed in
with a browser session. The rows are inserted straight into a fresh database: 1,000 processed documents with
an analysis each, three register items per document. Baseline of the same run: the sign-in page (a template
with no queries).

Run by hand: `.venv/bin/python bench/web_pages.py [--documents 1000] [--backends sqlite,postgresql]`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select

from pmdi.analysis.models import DocumentAnalysis
from pmdi.app import create_app
from pmdi.config import DatabaseSettings, Settings, StorageSettings, WorkerSettings
from pmdi.core import migrations
from pmdi.core.db import create_engine
from pmdi.core.state import AppState
from pmdi.documents.models import Document, DocumentStatus
from pmdi.projects.models import Project
from pmdi.registers.models import RegisterItem

RESULTS = Path(__file__).resolve().parent / "results"
ROUNDS = 40
CREDENTIALS = {"email": "bench@example.org", "password": "bench password 123"}


async def database(backend: str, root: Path) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{root / 'bench.sqlite'}"
    import asyncpg

    name = f"pmdi_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


def _analysis(n: int) -> dict[str, Any]:
    return {
        "document_type": "meeting_notes",
        "summary": f"Weekly meeting {n}",
        "action_items": [{"text": f"Send report {n}", "owner": "Priya Shah"}],
        "risks": [{"text": f"Supplier {n} may be late", "severity": "high"}],
    }


async def seed(state: AppState, project_id: uuid.UUID, count: int) -> uuid.UUID:
    async with state.sessionmaker() as session:
        project = (await session.execute(select(Project).where(Project.id == project_id))).scalar_one()
        org, now = project.organization_id, dt.datetime.now(dt.UTC)
        documents = [
            {
                "id": uuid.uuid4(), "organization_id": org, "project_id": project_id,
                "original_filename": f"minutes-{n}.md", "filename": f"minutes-{n}.md",
                "media_type": "text/markdown", "size_bytes": 1000, "sha256": uuid.uuid4().hex,
                "storage_key": f"k{n}", "status": DocumentStatus.INDEXED, "document_type": "meeting_notes",
                "page_count": 1, "processed_at": now - dt.timedelta(hours=n % 720),
            }
            for n in range(count)
        ]  # fmt: skip
        await session.execute(insert(Document), documents)
        analyses = [
            {
                "organization_id": org,
                "document_id": d["id"],
                "result": _analysis(n),
                "analyzed_at": now,
                "analyzer": "rules",
                "document_type": "meeting_notes",
            }
            for n, d in enumerate(documents)
        ]
        await session.execute(insert(DocumentAnalysis), analyses)
        kinds = [("action", "open"), ("risk", "open"), ("decision", "recorded")]
        items = [
            {
                "organization_id": org, "project_id": project_id, "kind": kind, "category": "risk",
                "text": f"{kind} {n}", "status": status, "review": "accepted", "confidence": 0.9,
                "source": "document", "edited_fields": [], "severity": "high" if kind == "risk" else None,
                "due_date": dt.date(2026, 1, 1) + dt.timedelta(days=n % 400) if kind == "action" else None,
            }
            for n in range(count) for kind, status in kinds
        ]  # fmt: skip
        await session.execute(insert(RegisterItem), items)
        await session.commit()
        return documents[0]["id"]


async def sign_in(client: httpx.AsyncClient) -> uuid.UUID:
    await client.post("/api/v1/auth/register", json=CREDENTIALS)
    token = (await client.post("/api/v1/auth/login", json=CREDENTIALS)).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    await client.post("/api/v1/orgs", json={"name": "Bench"}, headers=headers)
    project = await client.post("/api/v1/projects", json={"name": "Bench"}, headers=headers)
    await client.post("/login", data=CREDENTIALS)
    return uuid.UUID(project.json()["id"])


async def timed(client: httpx.AsyncClient, path: str) -> dict[str, float]:
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        response = await client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
    samples.sort()
    return {"p50": statistics.median(samples), "p95": samples[int(len(samples) * 0.95) - 1]}


async def run(backend: str, count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        url = await database(backend, root)
        engine = create_engine(DatabaseSettings(url=url))
        await migrations.upgrade(engine)
        await engine.dispose()
        settings = Settings(
            data_dir=root,
            database=DatabaseSettings(url=url),
            storage=StorageSettings(local_root=root / "files"),
            worker=WorkerSettings(embedded=False),
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                project = await sign_in(client)
                document = await seed(app.state.pmdi, project, count)
                pages = {
                    "sign-in page (baseline)": "/login",
                    "projects": "/projects",
                    "project home": f"/projects/{project}",
                    "documents (page 1 of 20)": f"/projects/{project}/documents",
                    "document view": f"/documents/{document}",
                    "registers (actions)": f"/registers?project={project}",
                    "dashboard": f"/dashboard?project={project}",
                    "search": "/search?q=supplier",
                }
                return {name: await timed(client, path) for name, path in pages.items()}


def report(backend: str, figures: dict[str, dict[str, float]]) -> None:
    base = figures["sign-in page (baseline)"]["p50"]
    print(f"\n{backend}: server time per page, {ROUNDS} requests each")
    print("| page | p50 ms | p95 ms | p50 / baseline |")
    print("|---|---|---|---|")
    for name, values in figures.items():
        print(f"| {name} | {values['p50']:.1f} | {values['p95']:.1f} | {values['p50'] / base:.1f} |")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    results = {}
    for backend in args.backends.split(","):
        results[backend] = await run(backend, args.documents)
        report(backend, results[backend])
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "web_pages.json").write_text(json.dumps({"documents": args.documents, **results}, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
