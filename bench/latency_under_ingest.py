"""API latency of `GET /api/v1/documents` while the embedded worker ingests 50 documents.

Starts `pmdi serve` (embedded defaults: SQLite, local files, in-process worker) on a fresh data directory,
measures the list endpoint idle (the baseline of this run), then again while 50 uploaded documents are
processed, and prints p50/p95/p99 for both. Run by hand: `.venv/bin/python bench/latency_under_ingest.py`.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "real"
PMDI = str(Path(sys.executable).parent / "pmdi")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(data: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PMDI_DATA_DIR": str(data),
        "PMDI_DATABASE__URL": f"sqlite+aiosqlite:///{data}/pmdi.db",
        "PMDI_STORAGE__LOCAL_ROOT": str(data / "files"),
        "PMDI_LOG__LEVEL": "WARNING",
    }
    subprocess.run([PMDI, "migrate"], env=env, check=True, capture_output=True)
    server = subprocess.Popen(
        [PMDI, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(100):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


async def login(client: httpx.AsyncClient) -> tuple[dict[str, str], str]:
    credentials = {"email": "bench@example.org", "password": "bench password 123"}
    await client.post("/api/v1/auth/register", json=credentials)
    token = (await client.post("/api/v1/auth/login", json=credentials)).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    await client.post("/api/v1/orgs", json={"name": "Bench"}, headers=headers)
    project = (await client.post("/api/v1/projects", json={"name": "Bench"}, headers=headers)).json()["id"]
    return headers, project


async def sample(
    client: httpx.AsyncClient, headers: dict[str, str], stop: asyncio.Event, limit: int
) -> list[float]:
    latencies: list[float] = []
    while not stop.is_set() and len(latencies) < limit:
        started = time.perf_counter()
        response = await client.get("/api/v1/documents", params={"limit": 50}, headers=headers)
        latencies.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        await asyncio.sleep(0.01)
    return latencies


def documents() -> list[tuple[str, bytes]]:
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix in {".md", ".pdf", ".docx", ".xlsx", ".csv"})
    picked = [(p.name, p.read_bytes()) for p in files][:50]
    while len(picked) < 50:
        picked.append((f"extra-{len(picked)}.txt", f"Extra status note {len(picked)}".encode() * 200))
    return picked


async def ingest(client: httpx.AsyncClient, headers: dict[str, str], project: str) -> float:
    started = time.perf_counter()
    for name, content in documents():
        await client.post(
            f"/api/v1/projects/{project}/documents", files={"files": (name, content)}, headers=headers
        )
    while True:
        items = (await client.get("/api/v1/documents", params={"limit": 200}, headers=headers)).json()[
            "items"
        ]
        if len(items) >= 50 and all(d["status"] in {"indexed", "failed"} for d in items):
            return time.perf_counter() - started
        await asyncio.sleep(0.05)


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 2),
        "p95": round(pick(0.95), 2),
        "p99": round(pick(0.99), 2),
    }


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        server = start_server(Path(tmp), port)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                headers, project = await login(client)
                idle = await sample(client, headers, asyncio.Event(), 300)
                stop = asyncio.Event()
                busy_task = asyncio.create_task(sample(client, headers, stop, 100_000))
                seconds = await ingest(client, headers, project)
                stop.set()
                busy = await busy_task
        finally:
            server.terminate()
            server.wait()
    result = {
        "idle_ms": percentiles(idle),
        "during_ingest_ms": percentiles(busy),
        "ingest_seconds": round(seconds, 2),
        "docs_per_minute": round(50 / seconds * 60, 1),
    }
    result["p99_ratio_busy_to_idle"] = round(result["during_ingest_ms"]["p99"] / result["idle_ms"]["p99"], 2)
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latency_under_ingest.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
