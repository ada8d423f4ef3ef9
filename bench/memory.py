"""Memory of the embedded server: idle after start, after processing many documents, and after settling.

Starts `pmdi serve` with its defaults (SQLite, local files, in-process worker, MiniLM embeddings) on a fresh
data directory and reads /proc (psutil is not a dependency) for the server process ("main") and for its whole
process tree ("total": the multiprocessing forkserver and the short-lived subprocesses each stage forks from
it). RSS counts shared pages once per process; PSS divides them among the processes sharing them, so the
total PSS is the tree's real footprint.

Phases: idle (3 s after start), peak (sampled every 0.5 s while processing), after `--documents` documents
(default 1,000: small generated Markdown minutes and plain-text status reports, every `--corpus-every`-th one
a file of the real corpus) reached a terminal status, and after `--settle` seconds idle (nothing can force a
collection inside the server from outside, so the settle pause is the "gc" phase). The idle figure is the
baseline of the run: every phase is also given as a ratio to it.

Run by hand: `.venv/bin/python bench/memory.py [--documents 1000] [--corpus-every 10] [--settle 20]`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from _support import (
    cycle_corpus,
    descendants,
    embedded_server,
    machine,
    memory_of,
    sign_in,
    table,
    upload,
    wait_terminal,
    write_result,
)

PEOPLE = ["Maria Lopez", "Karen Brooks", "Tom Miller", "Priya Shah", "Omar Haddad", "Lena Vogel", "Ann Lee"]
TOPICS = [
    "data migration", "vendor contract", "integration tests", "training plan", "cut-over rehearsal",
    "security review", "budget forecast", "user acceptance", "reporting module", "network upgrade",
]  # fmt: skip


def minutes(rng: random.Random, n: int) -> tuple[str, str]:
    people = rng.sample(PEOPLE, 4)
    lines = [f"# Steering committee meeting {n}", "", f"Date: 2025-{1 + n % 12:02d}-{1 + n % 28:02d}", ""]
    lines += [f"Attendees: {', '.join(people)}", "", "## Discussion", ""]
    for topic in rng.sample(TOPICS, 4):
        done = rng.randint(10, 95)
        lines.append(f"- The {topic} is {done}% complete; {rng.choice(people)} reported on it.")
    lines += ["", "## Decisions", "", f"- Decision: the {rng.choice(TOPICS)} is approved for release {n}."]
    lines += ["", "## Action items", ""]
    lines += [f"- {p} to update the {rng.choice(TOPICS)} plan by {1 + n % 28} May." for p in people[:3]]
    return f"minutes-{n}.md", "\n".join(lines) + "\n"


def status_report(rng: random.Random, n: int) -> tuple[str, str]:
    owner = rng.choice(PEOPLE)
    lines = [f"Weekly status report {n}", f"Project manager: {owner}", "", "Summary"]
    lines += [f"Overall status is {rng.choice(['green', 'amber', 'red'])}. The {rng.choice(TOPICS)} slipped "
              f"{rng.randint(1, 9)} days.", "", "Risks"]  # fmt: skip
    for topic in rng.sample(TOPICS, 2):
        lines.append(f"Risk: the {topic} may delay go-live (impact high, owner {rng.choice(PEOPLE)}).")
    lines += ["", "Next steps", f"{rng.choice(PEOPLE)} will confirm the {rng.choice(TOPICS)} date by Friday."]
    return f"status-{n}.txt", "\n".join(lines) + "\n"


def documents(count: int, corpus_every: int) -> Iterator[tuple[str, bytes]]:
    rng = random.Random(11)
    corpus = cycle_corpus(count)
    for n in range(count):
        if corpus_every and n % corpus_every == corpus_every - 1:
            yield next(corpus)
            continue
        name, text = (minutes, status_report)[n % 2](rng, n)
        yield name, text.encode()


def snapshot(root: int) -> dict[str, float]:
    pids = descendants(root)
    per_process = [memory_of(pid) for pid in pids]
    return {
        "main_rss_mb": round(per_process[0]["rss"], 1),
        "main_pss_mb": round(per_process[0]["pss"], 1),
        "total_rss_mb": round(sum(p["rss"] for p in per_process), 1),
        "total_pss_mb": round(sum(p["pss"] for p in per_process), 1),
        "processes": len(pids),
    }


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text().split()
    return round(int(status[status.index("VmHWM:") + 1]) / 1024, 1)


async def sample_peak(root: int, stop_sampling: asyncio.Event, peak: dict[str, float]) -> None:
    while not stop_sampling.is_set():
        current = await asyncio.to_thread(snapshot, root)
        for key, value in current.items():
            peak[key] = max(peak.get(key, 0.0), value)
        await asyncio.sleep(0.5)


async def measure(base: str, root: int, args: argparse.Namespace) -> dict[str, Any]:
    phases: dict[str, dict[str, float]] = {}
    await asyncio.sleep(3)  # let start-up work (migrations check, forkserver) finish
    phases["idle after start"] = await asyncio.to_thread(snapshot, root)
    files = list(documents(args.documents, args.corpus_every))
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        headers, project = await sign_in(client)
        peak: dict[str, float] = {}
        stop_sampling = asyncio.Event()
        sampler = asyncio.create_task(sample_peak(root, stop_sampling, peak))
        started = time.perf_counter()
        sent = await upload(client, headers, project, files, per_request=10)
        counts = await wait_terminal(client, headers, project, len(sent.documents), args.give_up_after)
        seconds = time.perf_counter() - started
        stop_sampling.set()
        await sampler
        phases["peak while processing"] = peak
        phases[f"after {args.documents} documents"] = await asyncio.to_thread(snapshot, root)
        await asyncio.sleep(args.settle)
        phases[f"after {args.settle:g} s settle"] = await asyncio.to_thread(snapshot, root)
    return {
        "documents": args.documents,
        "accepted": len(sent.documents),
        "duplicates": sent.duplicates,
        "refused": sent.refused,
        "counts": counts,
        "processing_seconds": round(seconds, 1),
        "main_vm_hwm_mb": await asyncio.to_thread(peak_rss_mb, root),
        "phases": phases,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    with embedded_server() as (base, server):
        return asyncio.run(measure(base, server.pid, args))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--corpus-every", type=int, default=10, help="every n-th document from the corpus")
    parser.add_argument("--settle", type=float, default=20.0, help="idle seconds before the last snapshot")
    parser.add_argument("--give-up-after", type=float, default=1200.0, help="seconds to wait for processing")
    args = parser.parse_args()
    result = {"machine": machine(), **run(args)}
    info, phases = result["machine"], result["phases"]
    print(f"{info['cpus']} CPUs, {info['ram_gb']} GB RAM, load {info['load_1min_before']} before the run")
    print(f"{result['accepted']} documents uploaded, {result['counts']} in {result['processing_seconds']} s")
    idle = phases["idle after start"]
    rows = [
        [phase, m["main_rss_mb"], m["total_rss_mb"], m["total_pss_mb"], int(m["processes"]),
         f"{m['total_pss_mb'] / idle['total_pss_mb']:.2f}"]
        for phase, m in phases.items()
    ]  # fmt: skip
    print(table(["phase", "main RSS MB", "total RSS MB", "total PSS MB", "processes", "PSS vs idle"], rows))
    print(f"main process peak RSS (VmHWM): {result['main_vm_hwm_mb']} MB")
    print(f"\nwritten to {write_result('memory', result)}")


if __name__ == "__main__":
    main()
