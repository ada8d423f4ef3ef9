"""Hybrid search latency at 10k and 100k chunks on SQLite and PostgreSQL, and embedding throughput.

Chunks the real corpus with the index stage's chunker and embeds up to `--base` of them with the shipped
model (the throughput figure). Synthetic chunks are then built by joining halves of two real chunks (their
vectors: the normalised sum of both, plus a little noise) and numbered with a unique `REFn` identifier, and
inserted straight into a fresh database (FTS5 / GIN index maintained as in production). Queries are half
identifiers and keywords, half natural-language questions, run through the same service function as
`GET /api/v1/search` (query embedding, both rankings, fusion, rows and snippets). The baseline, measured in
the same run, is the keyword ranking alone; the first query (which loads the vector cache) is reported apart.

Run by hand: `.venv/bin/python bench/search.py [--chunks 100000] [--backends sqlite,postgresql]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert, text

from pmdi.config import DatabaseSettings, SearchSettings, Settings, StorageSettings
from pmdi.core import migrations
from pmdi.core.db import create_engine
from pmdi.core.state import AppState, open_state
from pmdi.documents.models import Document
from pmdi.documents.sniff import sniff
from pmdi.extraction.stage import extract_file, options_from
from pmdi.organizations.models import Organization
from pmdi.projects.models import Project
from pmdi.search import service
from pmdi.search.chunking import chunk_document
from pmdi.search.embeddings import MiniLMEmbedder
from pmdi.search.models import SearchChunk
from pmdi.search.repository import ChunkRepository
from pmdi.search.schemas import SearchFilters
from pmdi.search.text import query_terms
from pmdi.search.vectors import to_blob

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "real"
RESULTS = ROOT / "bench" / "results"
QUESTIONS = [
    "headcount at the gathering",
    "what did the council decide about travel grants",
    "how much do the test management licences cost",
    "which apps are deployed with helm charts",
    "contingency plan for a government shutdown",
    "who attended the hardware meeting",
    "what went badly at the contributor summit",
    "should we close the RFC",
    "budget from the foundation",
    "security scanning of container images",
]
PER_DOCUMENT = 50


def corpus_chunks(settings: Settings) -> list[str]:
    texts = []
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix not in {".md", ".pdf", ".docx", ".xlsx"}:
            continue
        media_type = sniff(path, path.name)
        content = extract_file(str(path), media_type, options_from(settings.extraction, path.name))
        chunks = chunk_document(content["text"], content["blocks"], settings.search.chunk_words)
        texts += [c.search_text for c in chunks]
    return texts


def embedding_throughput(texts: list[str]) -> tuple[np.ndarray, dict[str, float]]:
    embedder = MiniLMEmbedder(SearchSettings())
    embedder.embed(texts[:8])  # loads the model
    started = time.perf_counter()
    vectors = embedder.embed(texts)
    seconds = time.perf_counter() - started
    return vectors, {"chunks": len(texts), "seconds": round(seconds, 2), "chunks_per_s": len(texts) / seconds}


def synthetic_rows(texts: list[str], vectors: np.ndarray, count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(texts), size=(count, 2))
    rows = []
    for n, (a, b) in enumerate(picks):
        first, second = texts[a], texts[b]
        text = f"{first[: len(first) // 2]} {second[len(second) // 2 :]} REF{n}"
        vector = vectors[a] + vectors[b] + rng.normal(0, 0.02, vectors.shape[1]).astype(np.float32)
        vector /= np.linalg.norm(vector)
        rows.append({"page": 1, "start": 0, "end": len(text), "context": "", "text": text, "vector": vector})
    return rows


@asynccontextmanager
async def database(backend: str, workdir: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir}/bench.db"
        return
    import asyncpg

    name = f"pmdi_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def load(state: AppState, rows: list[dict[str, Any]]) -> tuple[uuid.UUID, float]:
    started = time.perf_counter()
    async with state.sessionmaker() as session:
        org = Organization(name="Bench")
        session.add(org)
        await session.flush()
        project = Project(organization_id=org.id, name="Bench")
        session.add(project)
        await session.flush()
        for first in range(0, len(rows), 5_000):
            await _insert_batch(session, org.id, project.id, rows[first : first + 5_000], first)
        await session.commit()
    # Planner statistics and the visibility map, as autovacuum would produce soon after a bulk load (and so
    # that autovacuum does not run during the measurement).
    async with state.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        sqlite = connection.dialect.name == "sqlite"
        await autocommit.execute(text("ANALYZE" if sqlite else "VACUUM ANALYZE"))
    return org.id, time.perf_counter() - started


async def _insert_batch(
    session: Any, org: uuid.UUID, project: uuid.UUID, rows: list[dict[str, Any]], at: int
) -> None:
    documents = []
    for n in range(at, at + len(rows), PER_DOCUMENT):
        documents.append(
            {
                "id": uuid.uuid4(),
                "organization_id": org,
                "project_id": project,
                "original_filename": f"d{n}.md",
                "filename": f"d{n}.md",
                "media_type": "text/markdown",
                "size_bytes": 1,
                "sha256": uuid.uuid4().hex,
                "storage_key": "x",
                "status": "indexed",
                "document_type": "meeting_notes",
            }
        )
    await session.execute(insert(Document), documents)
    chunks = [
        {
            "organization_id": org,
            "document_id": documents[i // PER_DOCUMENT]["id"],
            "ordinal": i % PER_DOCUMENT,
            "page": r["page"],
            "start": r["start"],
            "end": r["end"],
            "context": r["context"],
            "text": r["text"],
            "embedding": to_blob(r["vector"]),
        }
        for i, r in enumerate(rows)
    ]
    await session.execute(insert(SearchChunk), chunks)


def queries(texts: list[str], count: int, chunks: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    found = []
    for n in range(count):
        if n % 2:
            found.append(rng.choice(QUESTIONS))
        elif n % 4 == 0:
            found.append(f"REF{rng.randrange(chunks)}")
        else:
            terms = query_terms(rng.choice(texts))
            found.append(" ".join(rng.sample(terms, min(2, len(terms)))) if terms else "budget")
    return found


async def timed(run: Callable[[str], Awaitable[Any]], items: list[str]) -> list[float]:
    latencies = []
    for query in items:
        started = time.perf_counter()
        await run(query)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
    }


async def measure(
    backend: str, size: int, rows: list[dict[str, Any]], texts: list[str], count: int
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        async with database(backend, Path(tmp)) as url:
            engine = create_engine(DatabaseSettings(url=url))
            await migrations.upgrade(engine)
            await engine.dispose()
            settings = Settings(
                data_dir=Path(tmp),
                database=DatabaseSettings(url=url),
                storage=StorageSettings(local_root=Path(tmp) / "files"),
            )
            async with open_state(settings) as state:
                org, load_seconds = await load(state, rows[:size])
                return await _run_queries(state, org, texts, size, count) | {"load_s": round(load_seconds, 1)}


async def _run_queries(
    state: AppState, org: uuid.UUID, texts: list[str], size: int, count: int
) -> dict[str, Any]:
    filters = SearchFilters()
    items = queries(texts, count, size)

    async def hybrid(query: str) -> Any:
        async with state.sessionmaker() as session:
            return await service.search(session, state, org, query, filters, 20)

    async def keyword(query: str) -> Any:
        async with state.sessionmaker() as session:
            repository = ChunkRepository(session, org)
            terms = query_terms(query)
            return await repository.keyword(terms, False, None, state.settings.search.candidates)

    cold = await timed(hybrid, items[:1])
    await timed(hybrid, items[:5])
    hybrid_latencies = await timed(hybrid, items)
    kinds: dict[str, list[float]] = {}
    for query, latency in zip(items, hybrid_latencies, strict=True):
        kinds.setdefault(_kind(query), []).append(latency)
    return {
        "chunks": size,
        "first_query_ms": round(cold[0], 1),
        "keyword_only (baseline)": summary(await timed(keyword, items)),
        "hybrid": summary(hybrid_latencies),
        "hybrid_by_kind": {kind: summary(latencies) for kind, latencies in kinds.items()},
    }


def _kind(query: str) -> str:
    if query.startswith("REF"):
        return "identifier"
    return "question" if query in QUESTIONS else "two words"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--base", type=int, default=1_500)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    texts = corpus_chunks(Settings())
    rng = random.Random(3)
    base = rng.sample(texts, min(args.base, len(texts)))
    vectors, throughput = embedding_throughput(base)
    rate = throughput["chunks_per_s"]
    print(f"embedding: {throughput['chunks']} chunks in {throughput['seconds']} s = {rate:.1f}/s")
    rows = synthetic_rows(base, vectors, args.chunks)
    results: dict[str, Any] = {"embedding": throughput, "runs": []}
    for backend in args.backends.split(","):
        for size in sorted({min(10_000, args.chunks), args.chunks}):
            run = await measure(backend, size, rows, base, args.queries)
            results["runs"].append({"backend": backend, **run})
            base_p95 = run["keyword_only (baseline)"]["p95_ms"]
            print(
                f"{backend:10} {size:>7} chunks  load {run['load_s']:>6} s  "
                f"first {run['first_query_ms']:>7} ms  "
                f"keyword p50/p95 {run['keyword_only (baseline)']['p50_ms']}/{base_p95} ms  "
                f"hybrid p50/p95 {run['hybrid']['p50_ms']}/{run['hybrid']['p95_ms']} ms  "
                f"(p95 ratio {run['hybrid']['p95_ms'] / base_p95:.2f})",
                flush=True,
            )
            for kind, figures in run["hybrid_by_kind"].items():
                line = f"{kind:>22}: hybrid p50/p95 {figures['p50_ms']}/{figures['p95_ms']} ms"
                print(line, flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "search.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
