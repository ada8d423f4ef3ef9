"""The client side of bench/realtime.py: one process holding its share of WebSocket and SSE connections.

It reports to the bench over a pipe: the handshakes once all have settled, then on "status" the connections
still open, the events received and its CPU seconds, and on "stop" every event's latencies per connection.
"""

from __future__ import annotations

import asyncio
import json
import resource
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

HANDSHAKE_SECONDS = 120.0


@dataclass(frozen=True)
class ClientJob:
    base: str
    token: str
    websockets: int
    sse: int
    ramp: int


@dataclass
class Tally:
    """What one client process saw; latencies are per event id, so receivers per event can be counted."""

    opened: Counter[str] = field(default_factory=Counter)
    lost: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    handshake_ms: list[float] = field(default_factory=list)
    latency_ms: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    by_transport: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    messages: int = 0
    stopping: bool = False
    expected: int = 0
    settled: asyncio.Event = field(default_factory=asyncio.Event)

    def _check_settled(self) -> None:
        if sum(self.opened.values()) + sum(self.failures.values()) >= self.expected:
            self.settled.set()

    def open(self, transport: str, started: float) -> None:
        self.opened[transport] += 1
        self.handshake_ms.append((time.perf_counter() - started) * 1000)
        self._check_settled()

    def fail(self, transport: str, exc: BaseException, *, was_open: bool) -> None:
        if self.stopping:
            return
        if was_open:
            self.lost[transport] += 1
        else:
            self.failures[f"{transport}: {type(exc).__name__} {str(exc)[:80]}"] += 1
            self._check_settled()

    def record(self, transport: str, message: str) -> None:
        arrived = time.time()
        event = json.loads(message)
        if "id" not in event:
            return
        self.messages += 1
        ms = (arrived - datetime.fromisoformat(event["created_at"]).timestamp()) * 1000
        self.latency_ms[event["id"]].append(ms)
        self.by_transport[transport].append(ms)


async def hold_ws(job: ClientJob, tally: Tally, gate: asyncio.Semaphore) -> None:
    url = job.base.replace("http", "ws", 1) + f"/api/v1/ws?access_token={job.token}"
    started, was_open = time.perf_counter(), False
    try:
        async with gate:
            socket_ = await connect(url, open_timeout=HANDSHAKE_SECONDS, ping_interval=None)
            ready = json.loads(await asyncio.wait_for(socket_.recv(), HANDSHAKE_SECONDS))
            if ready != {"type": "ready"}:
                raise RuntimeError(f"first message {ready}")
        tally.open("ws", started)
        was_open = True
        async for message in socket_:
            tally.record("ws", str(message))
        raise ConnectionClosed(None, None)
    except Exception as exc:
        tally.fail("ws", exc, was_open=was_open)


async def hold_sse(http: httpx.AsyncClient, job: ClientJob, tally: Tally, gate: asyncio.Semaphore) -> None:
    headers = {"Authorization": f"Bearer {job.token}"}
    started, was_open = time.perf_counter(), False
    await gate.acquire()
    try:
        async with http.stream("GET", f"{job.base}/api/v1/events", headers=headers) as response:
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code}")
            lines = response.aiter_lines()
            async with asyncio.timeout(HANDSHAKE_SECONDS):
                while await anext(lines) != ": ready":
                    pass
            gate.release()
            tally.open("sse", started)
            was_open = True
            async for line in lines:
                if line.startswith("data: "):
                    tally.record("sse", line[6:])
        raise RuntimeError("stream ended")
    except Exception as exc:
        tally.fail("sse", exc, was_open=was_open)
    finally:
        if not was_open:
            gate.release()


async def run_client(job: ClientJob, conn: Connection) -> None:
    tally, gate = Tally(expected=job.websockets + job.sse), asyncio.Semaphore(job.ramp)
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    timeout = httpx.Timeout(HANDSHAKE_SECONDS, read=60.0)
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as http:
        started = time.perf_counter()
        kinds = ["ws"] * job.websockets + ["sse"] * job.sse
        kinds.sort(key=lambda _: uuid.uuid4().int)  # interleaved, so both transports ramp up together
        tasks = [
            asyncio.create_task(hold_ws(job, tally, gate) if k == "ws" else hold_sse(http, job, tally, gate))
            for k in kinds
        ]
        await tally.settled.wait()
        ramp = time.perf_counter() - started
        conn.send(
            {"opened": tally.opened, "failures": tally.failures, "ms": tally.handshake_ms, "ramp": ramp}
        )
        while await asyncio.to_thread(conn.recv) == "status":
            conn.send((sum(tally.opened.values()) - sum(tally.lost.values()), tally.messages, cpu_seconds()))
        tally.stopping = True
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    latency, transport = dict(tally.latency_ms), dict(tally.by_transport)
    conn.send({"cpu": cpu_seconds(), "lost": tally.lost, "latency": latency, "transport": transport})


def client_process(job: ClientJob, conn: Connection) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (fd_hard_limit(), fd_hard_limit()))
    asyncio.run(run_client(job, conn))


def fd_hard_limit() -> int:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return hard if hard != resource.RLIM_INFINITY else 1 << 20


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
