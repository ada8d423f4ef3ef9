"""Realtime fan-out: thousands of WebSocket and SSE connections held on `pmdi serve`, event delivery latency.

Starts `pmdi serve` on a fresh SQLite data directory (embedded worker, in-memory event bus; with `--redis`
the Redis pub/sub bus and `--workers` API processes, 2 by default), raises RLIMIT_NOFILE to the hard limit
before starting it (the server inherits the limit), and creates one account and organisation. Then, per
phase: client processes open the connections (a mix of WebSocket and SSE, `--ramp` handshakes in flight per
process), count the handshakes that reached the stream's `ready` marker, hold them `--hold` seconds, upload
`--documents` small text files whose processing emits 13 events each, and time every event on every
connection from its `created_at` (set in the worker's transaction, before commit and publish) to its arrival.

Baseline phases of the same run: one WebSocket, then one SSE connection. Ratios are p99 at load over p99 of
the same transport's single connection. Client receive times include the clients' own queueing: on 2 CPUs
the clients and the server share the machine, so the figures are an upper bound of the server's share.

Run by hand (Redis at PMDI_REDIS_URL or 127.0.0.1:6379 for `--redis`):
    .venv/bin/python bench/realtime.py                       # 5,000 connections, half SSE, memory bus
    .venv/bin/python bench/realtime.py --redis --workers 2   # Redis pub/sub bus, 2 API processes
    .venv/bin/python bench/realtime.py --connections 500 --sse-fraction 0.2 --clients 1 --hold 5
Writes bench/results/realtime.json (realtime-redis.json with --redis); the clients are in realtime_clients.py.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
from _support import embedded_env
from realtime_clients import ClientJob, client_process, fd_hard_limit

ROOT = Path(__file__).resolve().parents[1]
PMDI = str(Path(sys.executable).parent / "pmdi")
EVENTS_PER_DOCUMENT = 13
INGEST_SECONDS = 300.0
ERROR_LINE = re.compile(r"^[\w.]+(Error|Exception|Timeout)\w*: ")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(data: Path, args: argparse.Namespace) -> dict[str, str]:
    return {
        **embedded_env(data),
        "PMDI_LIMITS__ENABLED": "true",
        "PMDI_LOG__FORMAT": "json",
        "PMDI_SEARCH__EMBEDDINGS": "none",
        "PMDI_REALTIME__BACKEND": "redis" if args.redis else "memory",
        # Every SSE request counts against the per-user limit (600 a minute by default) and all the
        # connections here belong to one user; WebSocket handshakes are not counted.
        "PMDI_LIMITS__PER_USER": str(10 * args.connections + 1000),
    }


def start_server(data: Path, port: int, args: argparse.Namespace) -> subprocess.Popen[bytes]:
    env = server_env(data, args)
    subprocess.run([PMDI, "migrate"], env=env, check=True, capture_output=True)
    command = [PMDI, "serve", "--port", str(port), "--workers", str(args.workers if args.redis else 1)]
    with (data / "server.log").open("ab") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    stop_server(server)
    raise RuntimeError("server did not start: " + (data / "server.log").read_text()[-2000:])


def stop_server(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def process_tree(root: int) -> dict[int, dict[str, Any]]:
    """RSS (MB) and open sockets of the server and its descendants (uvicorn workers, extraction forks)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent == frontier[-1]]
        frontier.pop()
        tree.update(children)
        frontier.extend(children)
    return {pid: info for pid in sorted(tree) if (info := process_info(pid))}


def process_info(pid: int) -> dict[str, Any] | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        ticks = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:13]
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
        sockets = sum(1 for fd in Path(f"/proc/{pid}/fd").iterdir() if os.readlink(fd).startswith("socket:"))
    except OSError:
        return None
    rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    # The extraction pool's forkserver and its children are not API processes (uvicorn's workers are).
    helper = b"forkserver" in command or b"resource_tracker" in command
    cpu = sum(int(t) for t in ticks) / os.sysconf("SC_CLK_TCK")
    return {
        "rss_mb": round(rss_kb / 1024, 1),
        "sockets": sockets,
        "role": "helper" if helper else "api",
        "cpu_s": cpu,
    }


def api_sum(tree: dict[int, dict[str, Any]], key: str = "rss_mb") -> float:
    return round(float(sum(info[key] for info in tree.values() if info["role"] == "api")), 1)


async def login(api: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    credentials = {"email": "bench@example.org", "password": "bench password 123"}
    assert (await api.post("/api/v1/auth/register", json=credentials)).status_code == 201
    token = (await api.post("/api/v1/auth/login", json=credentials)).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    (await api.post("/api/v1/orgs", json={"name": "Bench"}, headers=headers)).raise_for_status()
    return token, headers


async def ingest(api: httpx.AsyncClient, headers: dict[str, str], documents: int) -> float:
    """Uploads distinct small documents in one request and waits until every one is processed."""
    started = time.perf_counter()
    project = (await api.post("/api/v1/projects", json={"name": uuid.uuid4().hex}, headers=headers)).json()
    files = [
        ("files", (f"notes-{i}.txt", f"Ann will send budget {uuid.uuid4()} by Friday.\n".encode()))
        for i in range(documents)
    ]
    upload = await api.post(f"/api/v1/projects/{project['id']}/documents", files=files, headers=headers)
    assert upload.status_code == 201, upload.text
    while time.perf_counter() - started < INGEST_SECONDS:
        page = await api.get("/api/v1/documents", params={"project_id": project["id"]}, headers=headers)
        if all(d["processed_at"] or d["status"] in {"failed", "cancelled"} for d in page.json()["items"]):
            return time.perf_counter() - started
        await asyncio.sleep(0.2)
    raise TimeoutError(f"documents not processed within {INGEST_SECONDS} s")


def spawn(job: ClientJob, processes: int) -> list[tuple[multiprocessing.process.BaseProcess, Connection]]:
    context = multiprocessing.get_context("spawn")
    spawned: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
    for i in range(processes):
        share = ClientJob(
            job.base,
            job.token,
            len(range(i, job.websockets, processes)),
            len(range(i, job.sse, processes)),
            job.ramp,
        )
        parent_end, child_end = context.Pipe()
        process = context.Process(target=client_process, args=(share, child_end), daemon=True)
        process.start()
        spawned.append((process, parent_end))
    return spawned


async def ask(conns: list[Connection], command: str) -> list[Any]:
    for conn in conns:
        conn.send(command)
    return [await asyncio.to_thread(conn.recv) for conn in conns]


async def settle(conns: list[Connection], limit: float = 120.0) -> float:
    """Waits until no client has received anything new for a second: every event has been delivered."""
    started, last = time.perf_counter(), -1
    while time.perf_counter() - started < limit:
        received = sum(count for _, count, _ in await ask(conns, "status"))
        if received == last:
            break
        last = received
        await asyncio.sleep(1.0)
    return time.perf_counter() - started


async def phase(
    api: httpx.AsyncClient, args: argparse.Namespace, websockets: int, sse: int
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {args.token}"}
    spawned = spawn(
        ClientJob(args.base, args.token, websockets, sse, args.ramp),
        args.clients if sse + websockets > 1 else 1,
    )
    conns = [conn for _, conn in spawned]
    held = [await asyncio.to_thread(conn.recv) for conn in conns]
    ramp = max(h["ramp"] for h in held)
    server_cpu = api_sum(process_tree(args.server_pid), "cpu_s")
    await asyncio.sleep(args.hold)
    status = await ask(conns, "status")
    open_after_hold, client_cpu = sum(s[0] for s in status), sum(s[2] for s in status)
    server_held = process_tree(args.server_pid)
    held_cpu = api_sum(server_held, "cpu_s")
    ingest_seconds = await ingest(api, headers, args.documents)
    settle_seconds = await settle(conns)
    results = await ask(conns, "stop")
    for process, _ in spawned:
        process.join(timeout=60)
    report = summarise(held, results, open_after_hold)
    report.update(ramp_seconds=round(ramp, 2), ingest_seconds=round(ingest_seconds, 2))
    report["handshakes_per_second"] = round(sum(report["handshakes_ok"].values()) / ramp, 1)
    report.update(settle_seconds=round(settle_seconds, 2), server_while_held=server_held)
    report["server_after_events"] = process_tree(args.server_pid)
    report["cpu_s"] = {
        "server_while_held": round(held_cpu - server_cpu, 1),
        "server_events": round(api_sum(report["server_after_events"], "cpu_s") - held_cpu, 1),
        "clients_events": round(sum(r["cpu"] for r in results) - client_cpu, 1),
        "wall_events": round(ingest_seconds + settle_seconds, 1),
    }
    return report


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {
        "n": len(ordered),
        "p50": pick(0.5),
        "p95": pick(0.95),
        "p99": pick(0.99),
        "max": round(ordered[-1], 1),
    }


def summarise(
    held: list[dict[str, Any]], results: list[dict[str, Any]], open_after_hold: int
) -> dict[str, Any]:
    opened, failures, lost = Counter[str](), Counter[str](), Counter[str]()
    latency: dict[int, list[float]] = defaultdict(list)
    transport: dict[str, list[float]] = defaultdict(list)
    for h, r in zip(held, results, strict=True):
        opened.update(h["opened"])
        failures.update(h["failures"])
        lost.update(r["lost"])
        for event_id, values in r["latency"].items():
            latency[event_id].extend(values)
        for name, values in r["transport"].items():
            transport[name].extend(values)
    receivers = [len(v) for v in latency.values()]
    handshake_ms = [ms for h in held for ms in h["ms"]]
    return {
        "handshakes_ok": dict(opened),
        "handshake_failures": dict(failures),
        "handshake_ms": percentiles(handshake_ms),
        "open_after_hold": open_after_hold,
        "lost_while_held": dict(lost),
        "events": len(latency),
        "receivers_per_event": {"min": min(receivers, default=0), "max": max(receivers, default=0)},
        "events_reaching_every_open_connection": sum(1 for n in receivers if n >= open_after_hold),
        "delivery_ms": percentiles([ms for values in latency.values() for ms in values]),
        "by_transport": {name: percentiles(values) for name, values in sorted(transport.items())},
    }


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=args.base, timeout=120) as api:
        args.token, _ = await login(api)
        baseline = {"ws": await phase(api, args, 1, 0), "sse": await phase(api, args, 0, 1)}
        idle = process_tree(args.server_pid)
        sse = round(args.connections * args.sse_fraction)
        loaded = await phase(api, args, args.connections - sse, sse)
    return {"baseline": baseline, "server_idle": idle, "loaded": loaded}


def ratios(result: dict[str, Any]) -> dict[str, float]:
    out = {}
    for name, loaded in result["loaded"]["by_transport"].items():
        base = result["baseline"][name]["delivery_ms"]
        if loaded.get("p99") and base.get("p99"):
            out[f"{name}_p99_ratio"] = round(loaded["p99"] / base["p99"], 1)
    return out


def table(result: dict[str, Any]) -> str:
    rows = [
        "| phase | held | failed | lost | handshakes/s | events | min receivers | p50 ms | p95 ms | p99 ms "
        "| API RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    loaded = result["loaded"]
    phases = [("1 WebSocket", result["baseline"]["ws"]), ("1 SSE", result["baseline"]["sse"])]
    phases += [(f"{result['config']['connections']} mixed", loaded)]
    phases += [
        (f"  {name} of them", {**loaded, "delivery_ms": d}) for name, d in loaded["by_transport"].items()
    ]
    for name, p in phases:
        d = p["delivery_ms"]
        rows.append(
            f"| {name} | {p['open_after_hold']} | {sum(p['handshake_failures'].values())} "
            f"| {sum(p['lost_while_held'].values())} | {p['handshakes_per_second']} | {p['events']} "
            f"| {p['receivers_per_event']['min']} | {d.get('p50')} | {d.get('p95')} | {d.get('p99')} "
            f"| {api_sum(p['server_while_held'])} |"
        )
    return "\n".join(rows)


def log_problems(log: str) -> dict[str, int]:
    """Error lines of the server's JSON log, counted by message and the exception's last line."""
    problems: Counter[str] = Counter()
    for line in log.splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if entry.get("level") in {"error", "critical"}:
                trace = (entry.get("exception") or "").strip().splitlines()
                cause = next((t for t in reversed(trace) if ERROR_LINE.match(t)), "")
                problems[f"{entry.get('event', '')[:80]} | {cause[:160]}"] += 1
    return dict(problems)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=5000)
    parser.add_argument("--sse-fraction", type=float, default=0.5)
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--ramp", type=int, default=100, help="handshakes in flight per client process")
    parser.add_argument("--hold", type=float, default=20.0, help="seconds to hold before triggering events")
    parser.add_argument(
        "--documents", type=int, default=4, help=f"documents to process ({EVENTS_PER_DOCUMENT} events each)"
    )
    parser.add_argument("--redis", action="store_true", help="Redis pub/sub event bus")
    parser.add_argument("--workers", type=int, default=2, help="API processes with --redis")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # runs the clean-up that stops the server
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (fd_hard_limit(), fd_hard_limit()))
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        args.base = f"http://127.0.0.1:{port}"
        server = start_server(Path(tmp), port, args)
        args.server_pid = server.pid
        try:
            result = asyncio.run(measure(args))
        finally:
            log = (Path(tmp) / "server.log").read_text(errors="replace")  # before shutdown's own noise
            stop_server(server)
    result["config"] = {k: v for k, v in vars(args).items() if k not in {"token", "base", "server_pid"}}
    result["config"].update(nofile_before=[soft, hard], nofile=fd_hard_limit(), cpus=os.cpu_count())
    result["ratios"] = ratios(result)
    held = result["loaded"]["open_after_hold"]
    grown = api_sum(result["loaded"]["server_while_held"]) - api_sum(result["server_idle"])
    result["api_rss_kb_per_connection"] = round(grown * 1024 / max(1, held), 1)
    result["server_log_problems"] = log_problems(log)
    print(table(result))
    extra = ("ratios", "api_rss_kb_per_connection", "server_log_problems")
    print(json.dumps({k: result[k] for k in extra} | {"failures": result["loaded"]["handshake_failures"]}))
    out = ROOT / "bench" / "results" / ("realtime-redis.json" if args.redis else "realtime.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
