"""Q&A latency: `POST /api/v1/ask` end to end over HTTP, against `GET /api/v1/search` for the same question
in the same run (the baseline: ask runs the search, then picks and cites the supporting sentences).

Starts `pmdi serve` (embedded defaults, offline extractive answers; no language model is configured),
uploads the whole real corpus (48 documents), waits until it is indexed, then asks `--rounds` rounds of the
questions below, one at a time. Run by hand: `.venv/bin/python bench/ask.py [--rounds 5]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable
from typing import Any

import httpx
from _support import (
    corpus_files,
    embedded_server,
    machine,
    sign_in,
    table,
    upload,
    wait_terminal,
    write_result,
)

QUESTIONS = (
    "What did the council decide about the travel budget?",
    "Who owns the action item to update the charter?",
    "When is the next release planned?",
    "What are the main risks for the project?",
    "Which vendor was selected?",
    "What is the status of the security audit?",
    "Who will send the meeting notes?",
    "What was agreed about the roadmap?",
)


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "max": round(ordered[-1], 1),
    }


async def timed(request: Awaitable[httpx.Response]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    response = await request
    response.raise_for_status()
    return 1000 * (time.perf_counter() - started), response.json()


async def measure(base: str, rounds: int) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        headers, project = await sign_in(client)
        files = corpus_files()
        uploaded = await upload(client, headers, project, files)
        counts = await wait_terminal(client, headers, project, len(uploaded.documents), 900)
        searched, asked, answered = [], [], 0
        for question in QUESTIONS * rounds:
            ms, _ = await timed(client.get("/api/v1/search", params={"q": question}, headers=headers))
            searched.append(ms)
            asking = client.post("/api/v1/ask", json={"question": question}, headers=headers)
            ms, answer = await timed(asking)
            asked.append(ms)
            answered += bool(answer.get("citations"))
    return {
        "documents": counts,
        "questions": len(asked),
        "answered_with_citations": answered,
        "search_ms": percentiles(searched),
        "ask_ms": percentiles(asked),
        "p95_ratio": round(percentiles(asked)["p95"] / percentiles(searched)["p95"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with embedded_server() as (base, _server):
        result = asyncio.run(measure(base, args.rounds))
    result["machine"] = machine()
    rows = [
        [name, *(result[key][q] for q in ("p50", "p95", "max"))]  # type: ignore[index]
        for name, key in (("search (baseline)", "search_ms"), ("ask", "ask_ms"))
    ]
    print(table(["request", "p50 ms", "p95 ms", "max ms"], rows))
    print(f"{result['answered_with_citations']} of {result['questions']} answers cite a document; "
          f"ask/search p95 = {result['p95_ratio']}")  # fmt: skip
    print(f"written to {write_result('ask', result)}")


if __name__ == "__main__":
    main()
