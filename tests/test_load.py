"""Sixty seconds of mixed read/write traffic against `pmdi serve` as shipped: no errors, nothing lost, every
document uploaded meanwhile processed, and throughput and p99 latency held to a floor.

The server runs the embedded defaults (SQLite, local files, the in-process worker) with 2 uvicorn workers;
`wrk` (Debian package) replays a 40-request cycle of list, detail, analysis, register, search and project
reads with register item and project edits, while this test uploads a new document every few seconds.

The issue's goal is >= 500 requests a second with p99 < 200 ms. On the 2-CPU machines CI runs on (wrk and
the processing of the uploads share the two cores with the server) pmdi reaches about 450 a second with a
p99 near 300 ms (docs/BENCHMARKS.md), so the floor asserted by default is what must never regress: 250 a
second and a p99 under 1.5 s on that reference machine. The same machine kind runs up to 2.6 times slower
some days, so those defaults scale with the speed of a bare FastAPI endpoint measured in the same run (never
above the reference). `PMDI_LOAD_MIN_RPS` and `PMDI_LOAD_MAX_P99_MS` set absolute floors instead (500 and 200
on a machine meant to meet the goal). `PMDI_LOAD_SECONDS` shortens the run when working on it; the figures
are written to bench/results/load.json.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.cluster import wait_healthy
from tests.conftest import IN_CI
from tests.test_server import free_port

PMDI = str(Path(sys.executable).parent / "pmdi")
UVICORN = str(Path(sys.executable).parent / "uvicorn")
ROOT = Path(__file__).resolve().parents[1]
SECONDS = int(os.environ.get("PMDI_LOAD_SECONDS", "60"))
MIN_RPS = os.environ.get("PMDI_LOAD_MIN_RPS")
MAX_P99_MS = os.environ.get("PMDI_LOAD_MAX_P99_MS")
# The reference machine's floors, and its bare FastAPI figure (docs/BENCHMARKS.md, wrk -t2 -c64).
REFERENCE_MIN_RPS, REFERENCE_MAX_P99_MS, REFERENCE_BARE_RPS = 250.0, 1500.0, 6680.0
RESULTS = ROOT / "bench" / "results"
USER = {"email": "load@example.org", "password": "load test password 1"}
SEED_FILES = ("rust-leadership-council/2023-06-15.md", "aswf-tac/2019-03-13.md")
LUA = """
local requests = {}
local n = 0
init = function(args)
  local spec = dofile(args[1])
  for i, r in ipairs(spec.requests) do
    requests[i] = wrk.format(r.method, r.path, r.headers, r.body)
  end
end
request = function()
  n = n + 1
  return requests[(n % #requests) + 1]
end
"""


@dataclass
class Seeded:
    base: str
    headers: dict[str, str]
    project_id: str
    document_ids: list[str]
    item_ids: list[str]


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        message = "wrk is not installed (make test installs it: apt-get install wrk)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


def start_server(data: Path, port: int, workers: int = 2) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PMDI_DATA_DIR": str(data),
        "PMDI_DATABASE__URL": f"sqlite+aiosqlite:///{data}/pmdi.db",
        "PMDI_STORAGE__LOCAL_ROOT": str(data / "files"),
        "PMDI_LIMITS__ENABLED": "false",  # one user sending 500 requests a second is what limits stop
        "PMDI_AUTH__ARGON2_TIME_COST": "1",
        "PMDI_AUTH__ARGON2_MEMORY_KIB": "1024",
    }
    subprocess.run([PMDI, "migrate"], env=env, check=True, capture_output=True)
    log = (data / "server.log").open("ab")
    return subprocess.Popen(
        [PMDI, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_processed(client: httpx.Client, count: int, timeout: float) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout
    while True:
        docs = client.get("/api/v1/documents", params={"limit": 200}).json()["items"]
        done = [d for d in docs if d["status"] in {"indexed", "failed"}]
        if len(done) >= count or time.monotonic() > deadline:
            return docs
        time.sleep(0.5)


def seed(base: str, corpus: Path) -> Seeded:
    with httpx.Client(base_url=base, timeout=30) as client:
        client.post("/api/v1/auth/register", json=USER).raise_for_status()
        token = client.post("/api/v1/auth/login", json=USER).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        client.post("/api/v1/orgs", json={"name": "Load"}).raise_for_status()
        project = client.post("/api/v1/projects", json={"name": "Load"}).json()["id"]
        for name in SEED_FILES:
            files = {"files": (Path(name).name, (corpus / name).read_bytes(), "text/markdown")}
            client.post(f"/api/v1/projects/{project}/documents", files=files).raise_for_status()
        docs = wait_processed(client, len(SEED_FILES), 120)
        assert all(d["status"] == "indexed" for d in docs), docs
        items = client.get("/api/v1/register-items", params={"limit": 50}).json()["items"]
        assert items, "the seed documents gave no register items"
        auth = {"Authorization": f"Bearer {token}"}
        return Seeded(base, auth, project, [d["id"] for d in docs], [i["id"] for i in items])


def traffic(seeded: Seeded) -> list[dict[str, object]]:
    """One cycle of the mix, 40 requests: what a team's browsers and scripts ask most (lists, documents,
    analyses, registers), one search, and 5 writes (register item and project edits). New register items
    come from the documents uploaded meanwhile, as they would: a person does not add ten a second."""
    auth = seeded.headers
    json_auth = {**auth, "Content-Type": "application/json"}
    docs, items, project = seeded.document_ids, seeded.item_ids, seeded.project_id
    reads = {
        "/api/v1/documents?limit=20": 6, "/api/v1/documents?limit=20&status=indexed": 2,
        "/api/v1/documents?limit=50": 1, "/api/v1/documents?q=minutes": 1,
        f"/api/v1/documents/{docs[0]}": 3, f"/api/v1/documents/{docs[-1]}": 2,
        f"/api/v1/documents/{docs[0]}/analysis": 2, f"/api/v1/documents/{docs[-1]}/analysis": 2,
        "/api/v1/register-items?limit=20": 4, "/api/v1/register-items?kind=risk&limit=20": 2,
        "/api/v1/register-items?view=overdue&limit=20": 1, f"/api/v1/register-items/{items[0]}": 2,
        f"/api/v1/register-items/{items[-1]}": 1, "/api/v1/register-summary": 1, "/api/v1/projects": 2,
        f"/api/v1/projects/{project}": 1, "/api/v1/auth/me": 1, "/api/v1/search?q=budget+approval": 1,
    }  # fmt: skip
    edited = (items[0], items[-1], items[1], items[2])
    writes = [
        {"method": "PATCH", "path": f"/api/v1/register-items/{item}", "headers": json_auth,
         "body": json.dumps({"text": f"Edited under load {n}"})}
        for n, item in enumerate(edited)
    ] + [
        {"method": "PATCH", "path": f"/api/v1/projects/{project}", "headers": json_auth,
         "body": json.dumps({"description": "Edited under load"})}
    ]  # fmt: skip
    cycle = [{"method": "GET", "path": path, "headers": auth} for path, n in reads.items() for _ in range(n)]
    for position, write in zip(range(4, 40, 8), writes, strict=True):
        cycle.insert(position, write)
    assert len(cycle) == 40
    return cycle


def lua_table(requests: list[dict[str, object]]) -> str:
    def quote(value: object) -> str:
        return json.dumps(value)  # a JSON string literal is a valid Lua string literal here (ASCII only)

    rows = []
    for r in requests:
        headers = ", ".join(f"[{quote(k)}] = {quote(v)}" for k, v in r["headers"].items())  # type: ignore[attr-defined]
        body = quote(r["body"]) if "body" in r else "nil"
        method, path = quote(r["method"]), quote(r["path"])
        rows.append(f"{{method = {method}, path = {path}, headers = {{{headers}}}, body = {body}}}")
    return "return {requests = {" + ",\n".join(rows) + "}}\n"


def run_wrk(wrk: str, base: str, tmp: Path, requests: list[dict[str, object]]) -> str:
    (tmp / "mix.lua").write_text(LUA)
    (tmp / "spec.lua").write_text(lua_table(requests))
    args = [
        wrk,
        "-t2",
        "-c16",
        f"-d{SECONDS}s",
        "--latency",
        "--timeout",
        "5s",
        "-s",
        str(tmp / "mix.lua"),
        base,
    ]
    return subprocess.run(
        [*args, "--", str(tmp / "spec.lua")], check=True, capture_output=True, text=True
    ).stdout


def upload_while_loaded(seeded: Seeded, stop: threading.Event, uploaded: list[str]) -> None:
    with httpx.Client(base_url=seeded.base, headers=seeded.headers, timeout=30) as client:
        while not stop.wait(3):
            text = f"# Load note {len(uploaded)}\n\nAction: Dana to confirm the budget by Friday.\n"
            files = {"files": (f"note-{len(uploaded)}.md", text.encode(), "text/markdown")}
            response = client.post(f"/api/v1/projects/{seeded.project_id}/documents", files=files)
            response.raise_for_status()
            uploaded.append(response.json()["items"][0]["document"]["id"])


def parse(output: str) -> dict[str, float]:
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    assert p99, output
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),  # type: ignore[index]
        "p99_ms": float(p99[1]) * scale[p99[2]],
        "socket_errors": float(sum(int(g) for g in errors.groups())) if errors else 0.0,
        "non_2xx": float(non_2xx[1]) if non_2xx else 0.0,
    }


def machine_speed(wrk: str) -> float:
    """This machine's speed against the reference: bench/bare_app.py's `/items` as bench/api_throughput.py
    runs it (uvicorn, 2 workers, wrk -t2 -c64), 5 s."""
    port = free_port()
    bare = subprocess.Popen(
        [UVICORN, "bench.bare_app:app", "--port", str(port), "--workers", "2", "--log-level", "warning"],
        cwd=ROOT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/items"
    try:
        deadline = time.monotonic() + 30
        while not _answers(url):
            assert bare.poll() is None, "the bare baseline exited"
            assert time.monotonic() < deadline, "the bare baseline did not start"
            time.sleep(0.2)
        out = subprocess.run([wrk, "-t2", "-c64", "-d5s", "--latency", url], check=True, capture_output=True)
        return parse(out.stdout.decode())["rps"] / REFERENCE_BARE_RPS
    finally:
        os.killpg(bare.pid, signal.SIGTERM)
        bare.wait(30)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def floors(speed: float) -> tuple[float, float]:
    """(minimum req/s, maximum p99 ms): absolute when set, else the reference's eased on a slower machine."""
    slower = min(1.0, speed)
    min_rps = float(MIN_RPS) if MIN_RPS else REFERENCE_MIN_RPS * slower
    max_p99 = float(MAX_P99_MS) if MAX_P99_MS else REFERENCE_MAX_P99_MS / slower
    return min_rps, max_p99


def test_mixed_traffic_for_a_minute(tmp_path: Path, corpus: Path) -> None:
    wrk = require_wrk()
    speed = machine_speed(wrk)
    min_rps, max_p99 = floors(speed)
    port = free_port()
    server = start_server(tmp_path, port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, server)
        seeded = seed(base, corpus)
        stop, uploaded = threading.Event(), []
        uploader = threading.Thread(target=upload_while_loaded, args=(seeded, stop, uploaded))
        uploader.start()
        try:
            figures = parse(run_wrk(wrk, base, tmp_path, traffic(seeded)))
        finally:
            stop.set()
            uploader.join()
        RESULTS.mkdir(exist_ok=True)
        figures |= {"machine_speed": round(speed, 3), "min_rps": round(min_rps), "max_p99_ms": round(max_p99)}
        (RESULTS / "load.json").write_text(
            json.dumps({**figures, "uploads": len(uploaded), "seconds": SECONDS})
        )
        assert figures["non_2xx"] == 0, figures
        assert figures["socket_errors"] == 0, figures
        assert figures["rps"] >= min_rps, figures
        assert figures["p99_ms"] < max_p99, figures
        with httpx.Client(base_url=base, headers=seeded.headers, timeout=30) as client:
            docs = wait_processed(client, len(SEED_FILES) + len(uploaded), 180)
        ids = [d["id"] for d in docs]
        assert set(uploaded) <= set(ids)
        assert len(ids) == len(set(ids))
        assert all(d["status"] == "indexed" for d in docs), [d for d in docs if d["status"] != "indexed"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
