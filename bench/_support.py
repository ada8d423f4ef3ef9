"""Shared by the ingest benchmarks: start pmdi processes, upload documents, wait for them, read /proc."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "real"
PMDI = str(Path(sys.executable).parent / "pmdi")
RESULTS = ROOT / "bench" / "results"
POSTGRES_ADMIN = os.environ.get("PMDI_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("PMDI_TEST_REDIS", "redis://127.0.0.1:6379/0")
CREDENTIALS = {"email": "bench@example.org", "password": "bench password 123"}
TERMINAL = ("indexed", "failed", "cancelled")
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def embedded_env(data: Path) -> dict[str, str]:
    """The defaults of `pmdi serve` (SQLite, local files, in-process worker) in a fresh data directory.

    Rate limits are off: one client uploading a batch as fast as it can is exactly what they refuse.
    """
    return {
        **os.environ,
        "PMDI_DATA_DIR": str(data),
        "PMDI_DATABASE__URL": f"sqlite+aiosqlite:///{data}/pmdi.db",
        "PMDI_STORAGE__LOCAL_ROOT": str(data / "files"),
        "PMDI_LOG__LEVEL": "WARNING",
        "PMDI_LIMITS__ENABLED": "false",
    }


def scale_out_env(data: Path, database_url: str) -> dict[str, str]:
    """PostgreSQL + Redis (event bus and taskiq queue) shared by every process, like tests/cluster.py."""
    return {
        **embedded_env(data),
        "PMDI_DATABASE__URL": database_url,
        "PMDI_AUTH__SECRET_KEY": uuid.uuid4().hex * 2,
        "PMDI_REDIS_URL": REDIS_URL,
        "PMDI_REALTIME__BACKEND": "redis",
        "PMDI_WORKER__BACKEND": "taskiq",
        "PMDI_WORKER__QUEUE_NAME": f"pmdi:bench:{uuid.uuid4().hex[:8]}",
    }


async def create_postgres_database() -> str:
    import asyncpg

    name = f"pmdi_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(POSTGRES_ADMIN, timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = POSTGRES_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


async def drop_postgres_database(url: str, queue_name: str) -> None:
    import asyncpg
    import redis.asyncio as redis

    conn = await asyncpg.connect(POSTGRES_ADMIN, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await conn.close()
    client = redis.Redis.from_url(REDIS_URL)
    try:
        await client.delete(queue_name)
    finally:
        await client.aclose()


def migrate(env: dict[str, str]) -> None:
    subprocess.run([PMDI, "migrate"], env=env, check=True, capture_output=True)


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A session of its own, so stopping it also stops its processing subprocesses."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [PMDI, *args], env=env, start_new_session=True, stdout=out, stderr=subprocess.STDOUT
        )


@contextmanager
def embedded_server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`pmdi serve` with the embedded defaults on a fresh data directory: its base URL and its process."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        env = embedded_env(data)
        migrate(env)
        port = free_port()
        server = start(["serve", "--port", str(port)], env, data / "serve.log")
        try:
            base = f"http://127.0.0.1:{port}"
            wait_healthy(base, server)
            yield base, server
        finally:
            stop([server])


def wait_healthy(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{base} exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{base} did not start")


def stop(processes: Sequence[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


async def sign_in(client: httpx.AsyncClient) -> tuple[dict[str, str], str]:
    """A fresh account, organisation and project; returns API key headers and the project id.

    An API key rather than the access token, which expires after 15 minutes: long runs outlive it.
    """
    (await client.post("/api/v1/auth/register", json=CREDENTIALS)).raise_for_status()
    token = (await client.post("/api/v1/auth/login", json=CREDENTIALS)).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    (await client.post("/api/v1/orgs", json={"name": "Bench"}, headers=headers)).raise_for_status()
    project = await client.post("/api/v1/projects", json={"name": "Bench"}, headers=headers)
    project_id = str(project.raise_for_status().json()["id"])
    key = await client.post("/api/v1/api-keys", json={"name": "bench", "role": "admin"}, headers=headers)
    return {"Authorization": f"Bearer {key.raise_for_status().json()['key']}"}, project_id


def corpus_files() -> list[tuple[str, bytes]]:
    with (CORPUS / "MANIFEST.csv").open(newline="") as handle:
        names = [row["file"] for row in csv.DictReader(handle)]
    return [(Path(name).name, (CORPUS / name).read_bytes()) for name in names]


def variant(name: str, content: bytes, copy: int) -> bytes:
    """The same document with different bytes, so the per-project sha256 dedup accepts it again.

    Copy 0 is the original. Formats are varied where their readers ignore it: a Markdown comment, a trailing
    PDF comment after %%EOF, an Office archive's zip comment, one more CSV row, one more text line.
    """
    if copy == 0:
        return content
    suffix = Path(name).suffix.lower()
    if suffix == ".md":
        return content + f"\n\n<!-- copy {copy} -->\n".encode()
    if suffix == ".pdf":
        return content + f"\n%copy {copy}\n".encode()
    if suffix in {".docx", ".xlsx", ".pptx"}:
        buffer = io.BytesIO(content)
        with zipfile.ZipFile(buffer, "a") as archive:
            archive.comment = f"copy {copy}".encode()
        return buffer.getvalue()
    return content.rstrip(b"\r\n") + f"\ncopy {copy}\n".encode()


def cycle_corpus(count: int) -> Iterator[tuple[str, bytes]]:
    files = corpus_files()
    for n in range(count):
        name, content = files[n % len(files)]
        yield name, variant(name, content, n // len(files))


@dataclass
class Uploaded:
    documents: dict[str, str]  # id -> filename
    duplicates: int
    refused: list[str]
    started: float  # wall clock (time.time) of the first request
    seconds: float


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    project: str,
    files: Sequence[tuple[str, bytes]],
    *,
    per_request: int = 1,
    concurrency: int = 4,
) -> Uploaded:
    result = Uploaded({}, 0, [], time.time(), 0.0)
    gate = asyncio.Semaphore(concurrency)

    async def send(batch: Sequence[tuple[str, bytes]]) -> None:
        async with gate:
            response = await client.post(
                f"/api/v1/projects/{project}/documents",
                files=[("files", item) for item in batch],
                headers=headers,
            )
        if response.status_code >= 400:
            result.refused += [f"{name}: {response.status_code} {response.text[:200]}" for name, _ in batch]
            return
        for item in response.json()["items"]:
            result.duplicates += bool(item["duplicate"])
            result.documents[item["document"]["id"]] = item["document"]["filename"]

    started = time.perf_counter()
    batches = [files[i : i + per_request] for i in range(0, len(files), per_request)]
    await asyncio.gather(*(send(batch) for batch in batches))
    result.seconds = time.perf_counter() - started
    return result


async def status_counts(client: httpx.AsyncClient, headers: dict[str, str], project: str) -> dict[str, int]:
    counts = {}
    for status in TERMINAL:
        params = {"project_id": project, "status": status, "limit": 1}
        page = await client.get("/api/v1/documents", params=params, headers=headers)
        counts[status] = int(page.raise_for_status().json()["total"])
    return counts


async def wait_terminal(
    client: httpx.AsyncClient, headers: dict[str, str], project: str, expected: int, give_up_after: float
) -> dict[str, int]:
    """Polls until every document reached a terminal status or `give_up_after` seconds passed."""
    deadline = time.monotonic() + give_up_after
    while True:
        counts = await status_counts(client, headers, project)
        if sum(counts.values()) >= expected or time.monotonic() > deadline:
            return counts
        await asyncio.sleep(0.5)


def descendants(root: int) -> list[int]:
    """`root` and every live process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def cpu_seconds(pid: int) -> float:
    """CPU of the process and of its children it has reaped (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / TICKS


def tree_cpu(root: int) -> dict[str, float]:
    """Summing own + reaped-children time over the live tree counts every process once, dead or alive."""
    pids = descendants(root)
    return {"main": cpu_seconds(root), "total": sum(cpu_seconds(pid) for pid in pids)}


def memory_of(pid: int) -> dict[str, float]:
    """RSS and PSS in MB (PSS shares each shared page among the processes that map it)."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return {"rss": 0.0, "pss": 0.0}
    values = {line.split(":")[0]: int(line.split()[1]) for line in rollup.splitlines()[1:]}
    return {"rss": values["Rss"] / 1024, "pss": values["Pss"] / 1024}


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().split()
    return {
        "cpus": os.cpu_count(),
        "ram_gb": round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024 / 1024, 1),
        "load_1min_before": round(os.getloadavg()[0], 2),
    }


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
