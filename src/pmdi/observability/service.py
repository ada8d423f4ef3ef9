"""A scrape: refresh the queue-depth gauge from the database (at most every few seconds), then render."""

from __future__ import annotations

import time

import anyio.to_thread

from pmdi.core.db import unit_of_work
from pmdi.core.state import AppState
from pmdi.jobs import queue
from pmdi.jobs.models import ACTIVE_JOB_STATES
from pmdi.observability.metrics import QUEUE_JOBS, exposition

# Per database, so several apps in one process (tests) do not share a stale sample.
_sampled_at: dict[str, float] = {}


async def scrape(state: AppState) -> tuple[bytes, str]:
    await _refresh_queue_depth(state)
    return await anyio.to_thread.run_sync(exposition)


async def _refresh_queue_depth(state: AppState) -> None:
    database = state.engine.url.render_as_string(hide_password=True)
    now = time.monotonic()
    if now - _sampled_at.get(database, float("-inf")) < state.settings.metrics.queue_cache_seconds:
        return
    async with unit_of_work(state.sessionmaker) as session:
        counts = await queue.count_by_state(session)
    for job_state in ACTIVE_JOB_STATES:
        QUEUE_JOBS.labels(job_state.value).set(counts.get(job_state.value, 0))
    _sampled_at[database] = now
