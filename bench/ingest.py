"""End-to-end ingest throughput: documents per minute from the first upload to the last `indexed` document.

Uploads `--documents` files (default 100) through the HTTP API, cycling through the real corpus
(/work/shared/corpus/real, MANIFEST.csv) with a byte-level variation per round so the per-project sha256 dedup
accepts every copy, then waits until each document is `indexed` (the pipeline's last stage), `failed` or
`cancelled`. Two deployments, one after the other in the same run:

- embedded: one `pmdi serve` on SQLite and local files, running the jobs in-process (the defaults);
- scale-out: PostgreSQL + Redis, `--workers` `pmdi worker` processes and one `pmdi serve` (taskiq backend).

The wall time runs from the first upload request to the latest job `finished_at`. Per stage it reports the
compute time the job runner records (`GET /api/v1/jobs/{id}`: `duration_ms`), the stage's wall time including
its database transactions, the queue wait (job created -> claimed), per file type, and the CPU seconds of the
pmdi process trees (/proc) split into the main process and its processing subprocesses. The issue's goal is
>= 60 documents per minute embedded; the scale-out figure is also given as a ratio to the embedded one.

Run by hand: `.venv/bin/python bench/ingest.py [--documents 100] [--modes embedded,scale-out] [--workers 2]`.
Needs PostgreSQL at 127.0.0.1:5432 and Redis at 127.0.0.1:6379 for scale-out (PMDI_TEST_POSTGRES/_REDIS).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
from _support import (
    create_postgres_database,
    cycle_corpus,
    drop_postgres_database,
    embedded_server,
    free_port,
    machine,
    migrate,
    scale_out_env,
    sign_in,
    start,
    stop,
    table,
    tree_cpu,
    upload,
    wait_healthy,
    wait_terminal,
    write_result,
)

GOAL_PER_MINUTE = 60


def when(stamp: str) -> float:
    return dt.datetime.fromisoformat(stamp).timestamp()


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "mean": round(statistics.fmean(ordered), 3),
        "median": round(statistics.median(ordered), 3),
        "p95": round(ordered[max(0, int(0.95 * len(ordered)) - 1)], 3) if len(ordered) > 1 else ordered[0],
        "max": round(ordered[-1], 3),
        "sum": round(sum(ordered), 2),
    }


async def job_details(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    ids: list[str] = []
    while True:
        params = {"limit": 200, "offset": len(ids)}
        page = (await client.get("/api/v1/jobs", params=params, headers=headers)).raise_for_status().json()
        ids += [job["id"] for job in page["items"]]
        if len(ids) >= page["total"] or not page["items"]:
            break
    gate = asyncio.Semaphore(8)

    async def one(job_id: str) -> dict[str, Any]:
        async with gate:
            response = await client.get(f"/api/v1/jobs/{job_id}", headers=headers)
        return dict(response.raise_for_status().json())

    return list(await asyncio.gather(*(one(job_id) for job_id in ids)))


def stage_profile(jobs: list[dict[str, Any]], names: dict[str, str]) -> dict[str, Any]:
    """Where the time went: per stage, per file type, and how long jobs queued before a worker took them."""
    compute: dict[str, list[float]] = defaultdict(list)
    wall: dict[str, list[float]] = defaultdict(list)
    by_type: dict[str, list[float]] = defaultdict(list)
    for job in jobs:
        total = 0.0
        for stage in job["stages"]:
            if stage["duration_ms"] is None:
                continue
            compute[stage["stage"]].append(stage["duration_ms"] / 1000)
            wall[stage["stage"]].append(when(stage["finished_at"]) - when(stage["started_at"]))
            total += stage["duration_ms"] / 1000
        by_type[Path(names.get(job["document_id"], "?")).suffix or "?"].append(total)
    spent = sum(sum(values) for values in compute.values()) or 1.0
    queued = [when(j["started_at"]) - when(j["created_at"]) for j in jobs if j["started_at"]]
    return {
        "stages": {
            name: {
                "compute_s": summary(values),
                "wall_s": summary(wall[name]),
                "share_of_compute": round(sum(values) / spent, 3),
            }
            for name, values in compute.items()
        },
        "per_file_type_compute_s": {kind: summary(values) for kind, values in sorted(by_type.items())},
        "queue_wait_s": summary(queued) if queued else None,
    }


async def failures(client: httpx.AsyncClient, headers: dict[str, str], project: str) -> list[str]:
    params = {"project_id": project, "status": "failed", "limit": 200}
    page = (await client.get("/api/v1/documents", params=params, headers=headers)).raise_for_status().json()
    return [f"{d['filename']}: {d['error_reason']}" for d in page["items"]]


async def measure(base: str, roots: dict[str, int], count: int, give_up_after: float) -> dict[str, Any]:
    """Uploads `count` corpus documents to the running deployment and measures until all are done."""
    files = list(cycle_corpus(count))
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        headers, project = await sign_in(client)
        cpu_before = {role: tree_cpu(pid) for role, pid in roots.items()}
        sent = await upload(client, headers, project, files)
        counts = await wait_terminal(client, headers, project, len(sent.documents), give_up_after)
        cpu_after = {role: tree_cpu(pid) for role, pid in roots.items()}
        jobs = await job_details(client, headers)
        failed = await failures(client, headers, project)
    finished = [when(job["finished_at"]) for job in jobs if job["finished_at"]]
    wall = max(finished) - sent.started
    cpu = {
        role: {part: round(cpu_after[role][part] - cpu_before[role][part], 1) for part in ("main", "total")}
        for role in roots
    }
    return {
        "documents": count,
        "accepted": len(sent.documents),
        "duplicates": sent.duplicates,
        "refused": sent.refused,
        "upload_seconds": round(sent.seconds, 2),
        "wall_seconds": round(wall, 2),
        "counts": counts,
        "docs_per_minute": round(counts["indexed"] / wall * 60, 1),
        "failures": failed,
        "cpu_seconds": cpu,
        "cpu_busy_share": round(sum(c["total"] for c in cpu.values()) / wall / machine()["cpus"], 2),
        **stage_profile(jobs, sent.documents),
    }


def run_embedded(count: int, timeout: float) -> dict[str, Any]:
    with embedded_server() as (base, server):
        return asyncio.run(measure(base, {"serve": server.pid}, count, timeout))


def run_scale_out(count: int, workers: int, timeout: float) -> dict[str, Any]:
    url = asyncio.run(create_postgres_database())
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        env = scale_out_env(data, url)
        processes: list[subprocess.Popen[bytes]] = []
        try:
            migrate(env)
            processes += [start(["worker"], env, data / f"worker-{n}.log") for n in range(workers)]
            port = free_port()
            processes.append(start(["serve", "--port", str(port)], env, data / "serve.log"))
            wait_healthy(f"http://127.0.0.1:{port}", processes[-1])
            roots = {
                "serve": processes[-1].pid,
                **{f"worker-{n}": p.pid for n, p in enumerate(processes[:-1])},
            }
            return asyncio.run(measure(f"http://127.0.0.1:{port}", roots, count, timeout))
        finally:
            stop(processes)
            asyncio.run(drop_postgres_database(url, env["PMDI_WORKER__QUEUE_NAME"]))


def report(results: dict[str, Any]) -> None:
    info = results["machine"]
    print(f"{info['cpus']} CPUs, {info['ram_gb']} GB RAM, load {info['load_1min_before']} before the run")
    rows = []
    for mode, r in results["modes"].items():
        c = r["counts"]
        rows.append([mode, r["accepted"], c["indexed"], c["failed"], r["upload_seconds"], r["wall_seconds"],
                     r["docs_per_minute"], r["cpu_busy_share"]])  # fmt: skip
    print(
        table(["mode", "uploaded", "indexed", "failed", "upload s", "wall s", "docs/min", "CPU busy"], rows)
    )
    for mode, r in results["modes"].items():
        print(f"\n{mode}: per stage (seconds per document), CPU seconds {r['cpu_seconds']}")
        stage_rows = [
            [name, s["compute_s"]["mean"], s["compute_s"]["median"], s["compute_s"]["p95"],
             s["wall_s"]["mean"], f"{s['share_of_compute']:.0%}"]
            for name, s in r["stages"].items()
        ]  # fmt: skip
        wait = r["queue_wait_s"]
        stage_rows.append(["(queue wait)", wait["mean"], wait["median"], wait["p95"], "", ""])
        print(table(["stage", "compute mean", "median", "p95", "wall mean", "share"], stage_rows))
        kinds = r["per_file_type_compute_s"]
        print(table(["file type", "docs", "compute mean s", "compute sum s"],
                    [[k, v["n"], v["mean"], v["sum"]] for k, v in kinds.items()]))  # fmt: skip
        for failure in r["failures"] + r["refused"]:
            print(f"- failed: {failure}")
    for key, value in results["verdict"].items():
        print(f"{key}: {value}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=100)
    parser.add_argument("--modes", default="embedded,scale-out")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=480, help="seconds to wait for processing, per mode")
    args = parser.parse_args()
    results: dict[str, Any] = {"machine": machine(), "modes": {}, "verdict": {}}
    for mode in args.modes.split(","):
        if mode == "embedded":
            results["modes"][mode] = run_embedded(args.documents, args.timeout)
        else:
            results["modes"][mode] = run_scale_out(args.documents, args.workers, args.timeout)
    modes = results["modes"]
    if "embedded" in modes:
        rate = modes["embedded"]["docs_per_minute"]
        results["verdict"]["embedded_vs_goal"] = f"{rate} / {GOAL_PER_MINUTE} = {rate / GOAL_PER_MINUTE:.2f}"
        if "scale-out" in modes:
            ratio = modes["scale-out"]["docs_per_minute"] / rate
            results["verdict"]["scale_out_vs_embedded"] = round(ratio, 2)
    report(results)
    print(f"\nwritten to {write_result('ingest', results)}")


if __name__ == "__main__":
    main()
