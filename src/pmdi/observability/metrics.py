"""Prometheus metrics of this process, observed where things happen and exposed by `GET /metrics`.

Counters move only after the transaction that did the work commits, so a rolled-back attempt is never
counted. With several API processes (`pmdi serve --workers N`) set `PROMETHEUS_MULTIPROC_DIR` to an empty
directory before start: every process then writes its samples there and any of them serves the sum. Without
it each process reports only itself. `pmdi worker` processes serve their own metrics on
`PMDI_METRICS__WORKER_PORT`.
"""

from __future__ import annotations

import os
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.config import MetricsSettings
from pmdi.core.db import after_commit

HTTP_DURATION = Histogram(
    "pmdi_http_request_duration_seconds",
    "HTTP request latency by method, route template and status class.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
HTTP_IN_FLIGHT = Gauge(
    "pmdi_http_requests_in_flight", "HTTP requests being served.", multiprocess_mode="livesum"
)
QUEUE_JOBS = Gauge(
    "pmdi_queue_jobs",
    "Jobs by state (queued, dispatched, running), counted in the database on scrape.",
    ["state"],
    multiprocess_mode="mostrecent",
)
STAGE_DURATION = Histogram(
    "pmdi_job_stage_duration_seconds",
    "Duration of successfully finished pipeline stages.",
    ["stage"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0),
)
DOCUMENTS_PROCESSED = Counter("pmdi_documents_processed", "Documents that finished the whole pipeline.")
DOCUMENTS_FAILED = Counter("pmdi_documents_failed", "Documents that failed for good.")
LLM_CALLS = Counter("pmdi_llm_calls", "Language-model calls.", ["provider", "model"])
LLM_TOKENS = Counter(
    "pmdi_llm_tokens",
    "Language-model tokens by direction (input, output).",
    ["provider", "model", "direction"],
)
LLM_COST = Counter(
    "pmdi_llm_cost_usd", "Language-model cost in USD (from the price table).", ["provider", "model"]
)
RATE_LIMITED = Counter("pmdi_rate_limited_requests", "Requests refused with 429, by bucket.", ["scope"])
QUOTA_EXCEEDED = Counter("pmdi_quota_exceeded", "Uploads refused by an organisation quota.", ["quota"])


def count_after_commit(session: AsyncSession, counter: Counter) -> None:
    async def count() -> None:
        counter.inc()

    after_commit(session, count)


def observe_stage(stage: str, seconds: float) -> None:
    STAGE_DURATION.labels(stage).observe(seconds)


def llm_usage_after_commit(session: AsyncSession, usage: dict[str, Any]) -> None:
    provider, model = str(usage.get("provider", "")), str(usage.get("model", ""))

    async def count() -> None:
        LLM_CALLS.labels(provider, model).inc(int(usage.get("calls", 0)))
        LLM_TOKENS.labels(provider, model, "input").inc(int(usage.get("tokens_in", 0)))
        LLM_TOKENS.labels(provider, model, "output").inc(int(usage.get("tokens_out", 0)))
        LLM_COST.labels(provider, model).inc(float(usage.get("cost_usd", 0.0)))

    after_commit(session, count)


def exposition() -> tuple[bytes, str]:
    """The text format; blocking (multi-process mode reads files), so callers run it in a thread."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def serve_worker_metrics(settings: MetricsSettings) -> WSGIServer | None:
    """`pmdi worker`: this process's stage, document and LLM metrics on their own port, from a daemon
    thread. It has no token: bind it to an interface only the scraper reaches."""
    if not settings.enabled or settings.worker_port is None:
        return None
    server, _thread = start_http_server(settings.worker_port, addr=settings.worker_host)
    return server
