"""Register tracking cost: merging one analysed document (30 observations) into a project that already tracks
N items, against the same document merged into an empty project (the baseline, same run).

Items are synthetic tasks ("Review the vendor contract for workstream 12") embedded with the shipped model,
two mentions each, inserted straight into a fresh database; each timed merge runs the production `track` in a
transaction that is rolled back, so every run sees the same project.

Run by hand: `.venv/bin/python bench/registers.py [--items 500,5000] [--backends sqlite,postgresql]`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from pmdi.config import DatabaseSettings, SearchSettings, Settings, StorageSettings
from pmdi.core import migrations
from pmdi.core.db import create_engine
from pmdi.core.state import AppState, open_state
from pmdi.documents.models import Document
from pmdi.organizations.models import Organization
from pmdi.projects.models import Project
from pmdi.registers.models import Mention, RegisterItem
from pmdi.registers.tracking import track
from pmdi.search.vectors import to_blob

RESULTS = Path(__file__).resolve().parent / "results"
VERBS = [
    "review", "draft", "send", "update", "prepare", "book", "confirm", "schedule", "finalise", "test",
    "migrate", "approve",
]  # fmt: skip
OBJECTS = [
    "the vendor contract", "the budget forecast", "the test plan", "the venue booking", "the security review",
    "the data migration runbook", "the release notes", "the training material", "the risk register",
    "the server order",
]  # fmt: skip
PEOPLE = ["Priya Shah", "Tom Becker", "Ana Ruiz", "Lee Wong", "Sam Ortiz"]
REPEATS = 7


def task(n: int) -> str:
    rng = random.Random(n)
    return f"{rng.choice(VERBS).capitalize()} {rng.choice(OBJECTS)} for workstream {n}"


def _document(project: Project, name: str) -> Document:
    return Document(
        organization_id=project.organization_id, project_id=project.id, original_filename=name, filename=name,
        media_type="text/markdown", size_bytes=1, sha256=uuid.uuid4().hex, storage_key=name,
    )  # fmt: skip


async def seed(state: AppState, items: int) -> tuple[Document, list[dict[str, Any]]]:
    texts = [task(n) for n in range(items)]
    embedder = state.embedder
    assert embedder is not None
    vectors = embedder.embed(texts) if texts else []
    async with state.sessionmaker() as session:
        org = Organization(name="Bench")
        session.add(org)
        await session.flush()
        project = Project(organization_id=org.id, name="Bench")
        session.add(project)
        await session.flush()
        document = _document(project, "m.md")
        session.add(document)
        await session.flush()
        rows, mentions = [], []
        for text, vector in zip(texts, vectors, strict=True):
            item_id = uuid.uuid4()
            rows.append(
                {
                    "id": item_id,
                    "organization_id": org.id,
                    "project_id": project.id,
                    "kind": "action",
                    "category": "action",
                    "text": text,
                    "status": "open",
                    "review": "suggested",
                    "confidence": 0.8,
                    "source": "document",
                    "edited_fields": [],
                    "user_touched": False,
                }
            )
            for _ in range(2):
                mentions.append({"id": uuid.uuid4(), "organization_id": org.id, "item_id": item_id,
                                 "document_id": document.id, "kind": "item", "quote": text,
                                 "mentioned_on": dt.date(2026, 10, 1), "data": {"text": text},
                                 "embedding": to_blob(vector), "pinned": False})  # fmt: skip
        if rows:
            await session.execute(insert(RegisterItem), rows)
            await session.execute(insert(Mention), mentions)
        new_doc = _document(project, "n.md")
        session.add(new_doc)
        await session.commit()
    observed = [task(n * 7 + 3) for n in range(30)]
    observed_vectors = embedder.embed(observed)
    observations = [
        {"kind": "action", "update": False, "match_text": t, "vector": to_blob(v),
         "data": {"text": t, "owner": PEOPLE[i % 5], "confidence": 0.8},
         "evidence": {"page": 1, "quote": t, "start": i * 100, "end": i * 100 + len(t)}}
        for i, (t, v) in enumerate(zip(observed, observed_vectors, strict=True))
    ]  # fmt: skip
    return new_doc, observations


async def measure(state: AppState, document: Document, observations: list[dict[str, Any]]) -> list[float]:
    timings = []
    for _ in range(REPEATS):
        async with state.sessionmaker() as session:
            merged = await session.get(Document, document.id)
            assert merged is not None
            started = time.perf_counter()
            await track(session, merged, [dict(o) for o in observations], dt.date(2026, 10, 8))
            timings.append((time.perf_counter() - started) * 1000)
            await session.rollback()
    return timings


async def run(backend: str, items: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        if backend == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        else:
            url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/pmdi_bench_{uuid.uuid4().hex[:8]}"
            await create_pg(url)
        engine = create_engine(DatabaseSettings(url=url))
        await migrations.upgrade(engine)
        await engine.dispose()
        settings = Settings(
            data_dir=Path(tmp), database=DatabaseSettings(url=url), search=SearchSettings(),
            storage=StorageSettings(local_root=Path(tmp) / "blobs"),
        )  # fmt: skip
        async with open_state(settings) as state:
            document, observations = await seed(state, items)
            timings = await measure(state, document, observations)
    return {"backend": backend, "items": items, "p50_ms": statistics.median(timings), "max_ms": max(timings)}


async def create_pg(url: str) -> None:
    import asyncpg

    name = url.rsplit("/", 1)[-1]
    connection = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", default="500,5000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    results = []
    for backend in args.backends.split(","):
        baseline = asyncio.run(run(backend, 0))
        results.append(baseline)
        for items in [int(n) for n in args.items.split(",")]:
            found = asyncio.run(run(backend, items))
            found["ratio_to_empty"] = found["p50_ms"] / baseline["p50_ms"]
            results.append(found)
    print(f"{'backend':<11}{'items':>7}{'p50 ms':>10}{'max ms':>10}{'x empty':>10}")
    for r in results:
        print(f"{r['backend']:<11}{r['items']:>7}{r['p50_ms']:>10.1f}{r['max_ms']:>10.1f}"
              f"{r.get('ratio_to_empty', 1.0):>10.1f}")  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "registers.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
