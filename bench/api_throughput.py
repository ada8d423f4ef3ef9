"""Authenticated `GET /api/v1/documents?limit=50` on a seeded database, against a bare FastAPI endpoint
returning a 50-item Pydantic list (bench/bare_app.py) measured in the same run: the ratio is the figure.

A second baseline ("bare + query") reads the same 50 documents through SQLAlchemy with no authentication,
tenancy or middleware: the floor of this stack for one query. All run under uvicorn with 2 worker
processes; `wrk` (Debian package) drives each for the same duration with the same connections. pmdi runs
with rate limits off (they exist to stop floods, which this is) and no embedded worker.
Run by hand: `.venv/bin/python bench/api_throughput.py [--backends sqlite,postgresql]`.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select

import pmdi.core.models  # noqa: F401  (every table, for the foreign keys of the rows inserted)
from pmdi.config import DatabaseSettings
from pmdi.core.db import create_engine, create_sessionmaker
from pmdi.documents.models import Document, DocumentStatus
from pmdi.projects.models import Project

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
CREDENTIALS = {"email": "bench@example.org", "password": "bench password 123"}
DOCUMENTS = 200


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_up(url: str) -> None:
    for _ in range(200):
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


async def create_postgres_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()


def database_url(backend: str, root: Path) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{root / 'bench.sqlite'}"
    name = f"pmdi_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(create_postgres_database(name))
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


async def seed(url: str) -> None:
    engine = create_engine(DatabaseSettings(url=url))
    async with create_sessionmaker(engine)() as session:
        project = (await session.execute(select(Project))).scalar_one()
        now = dt.datetime.now(dt.UTC)
        rows = [
            {
                "organization_id": project.organization_id, "project_id": project.id,
                "original_filename": f"minutes-{n}.md", "filename": f"minutes-{n}.md",
                "media_type": "text/markdown",
                "size_bytes": 1000, "sha256": uuid.uuid4().hex, "storage_key": f"k{n}",
                "status": DocumentStatus.INDEXED, "processed_at": now,
            }
            for n in range(DOCUMENTS)
        ]  # fmt: skip
        await session.execute(insert(Document), rows)
        await session.commit()
    await engine.dispose()


def sign_in(base: str) -> str:
    httpx.post(f"{base}/api/v1/auth/register", json=CREDENTIALS)
    token = httpx.post(f"{base}/api/v1/auth/login", json=CREDENTIALS).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    httpx.post(f"{base}/api/v1/orgs", json={"name": "Bench"}, headers=headers)
    httpx.post(f"{base}/api/v1/projects", json={"name": "Bench"}, headers=headers)
    return str(token)


def wrk(url: str, token: str | None, seconds: int, connections: int) -> dict[str, float]:
    header = ["-H", f"Authorization: Bearer {token}"] if token else []
    args = [
        shutil.which("wrk") or "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        *header,
        url,
    ]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {
        "rps": rps,
        "p99_ms": float(p99[1]) * scale[p99[2]] if p99 else float("nan"),
        "non_2xx": float(errors[1]) if errors else 0.0,
    }


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run(backend: str, seconds: int, connections: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        url = database_url(backend, root)
        env = {
            **os.environ, "PMDI_DATA_DIR": str(root), "PMDI_DATABASE__URL": url,
            "PMDI_STORAGE__LOCAL_ROOT": str(root / "files"), "PMDI_LIMITS__ENABLED": "false",
            "PMDI_WORKER__EMBEDDED": "false", "PMDI_LOG__LEVEL": "WARNING",
        }  # fmt: skip
        subprocess.run([str(BIN / "pmdi"), "migrate"], env=env, check=True, capture_output=True)
        port, bare_port = free_port(), free_port()
        pmdi = start([str(BIN / "pmdi"), "serve", "--port", str(port), "--workers", "2"], env)
        bare = start(
            [str(BIN / "uvicorn"), "bench.bare_app:app", "--port", str(bare_port), "--workers", "2",
             "--log-level", "warning", "--no-access-log"],
            {**os.environ, "PYTHONPATH": str(ROOT), "BENCH_DATABASE_URL": url},
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            wait_up(f"{base}/healthz")
            wait_up(f"http://127.0.0.1:{bare_port}/items")
            token = sign_in(base)
            asyncio.run(seed(url))
            listing = f"{base}/api/v1/documents?limit=50"
            assert len(httpx.get(listing, headers={"Authorization": f"Bearer {token}"}).json()["items"]) == 50
            bare_url, floor_url = (
                f"http://127.0.0.1:{bare_port}/items",
                f"http://127.0.0.1:{bare_port}/items-db",
            )
            for url_, token_ in ((listing, token), (bare_url, None), (floor_url, None)):
                wrk(url_, token_, 3, connections)  # warm up before measuring
            baseline = wrk(bare_url, None, seconds, connections)
            floor = wrk(floor_url, None, seconds, connections)
            measured = wrk(listing, token, seconds, connections)
        finally:
            for process in (pmdi, bare):
                process.terminate()
                process.wait(15)
        return {
            "baseline": baseline, "floor": floor, "pmdi": measured,
            "ratio": measured["rps"] / baseline["rps"], "ratio_to_floor": measured["rps"] / floor["rps"],
        }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    assert shutil.which("wrk"), "install wrk: apt-get install wrk"
    results = {backend: run(backend, args.seconds, args.connections) for backend in args.backends.split(",")}
    print(f"{os.cpu_count()} CPUs, {args.connections} connections, {args.seconds} s each")
    print(
        "| backend | bare FastAPI req/s | bare + one SQLAlchemy query req/s | pmdi req/s | ratio to bare "
        "| ratio to bare + query | pmdi p99 ms | non-2xx |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for backend, r in results.items():
        b, f, m = r["baseline"], r["floor"], r["pmdi"]
        cells = [
            f"{b['rps']:.0f}",
            f"{f['rps']:.0f}",
            f"{m['rps']:.0f}",
            f"{r['ratio']:.2f}",
            f"{r['ratio_to_floor']:.2f}",
            f"{m['p99_ms']:.1f}",
        ]
        print(f"| {backend} | {' | '.join(cells)} | {m['non_2xx']:.0f} |")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "api_throughput.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
