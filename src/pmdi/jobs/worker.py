"""Worker loops: the embedded worker inside `pmdi serve`, and the distributed `pmdi worker` on taskiq."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable

from pmdi.core.db import hand_back, unit_of_work
from pmdi.core.state import AppState
from pmdi.jobs import queue
from pmdi.jobs.backends import InProcessBackend, TaskiqBackend
from pmdi.jobs.pipeline import Stage, default_pipeline
from pmdi.jobs.reconciler import reconcile
from pmdi.jobs.runner import JobRunner
from pmdi.mailboxes.poller import MailboxPoller
from pmdi.webhooks.delivery import DeliveryLoop

logger = logging.getLogger(__name__)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


async def _every(seconds: float, action: Callable[[], Awaitable[object]], name: str) -> None:
    while True:
        try:
            await action()
        except Exception:
            logger.exception("%s failed; retrying in %ss", name, seconds)
        await asyncio.sleep(seconds)


class EmbeddedWorker:
    """Inside the API process: consumers on an asyncio queue; dispatch, reconcile, webhook and mail loops."""

    def __init__(self, state: AppState, stages: list[Stage] | None = None) -> None:
        assert isinstance(state.backend, InProcessBackend)
        self.state, self.queue = state, state.backend.queue
        self.runner = JobRunner(state, stages or default_pipeline(), worker_id())
        self.deliveries = DeliveryLoop(state, self.runner.worker_id)
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        settings = self.state.settings.worker
        self._tasks = [asyncio.create_task(self._consume()) for _ in range(settings.concurrency)]
        self._tasks.append(asyncio.create_task(self._dispatch()))
        reconcile_pass = lambda: reconcile(self.state)  # noqa: E731
        self._tasks.append(
            asyncio.create_task(_every(settings.reconcile_seconds, reconcile_pass, "reconcile"))
        )
        mail = MailboxPoller(self.state)
        self._tasks.append(
            asyncio.create_task(
                _every(self.state.settings.mail.tick_seconds, mail.poll_due, "mailbox polling")
            )
        )
        self.deliveries.start()

    async def _dispatch(self) -> None:
        # Without this, jobs dispatched into the queue of a process that was killed would fill the dispatch
        # window until the reconciler finds them stale, and nothing would run for that long after a restart.
        try:
            async with unit_of_work(self.state.sessionmaker) as session:
                await queue.requeue_every_dispatched(session)
        except Exception:
            logger.exception("could not re-queue jobs dispatched before this start; the reconciler will")
        await _every(self.state.settings.worker.poll_seconds, self.state.dispatcher.dispatch, "dispatch")

    async def _consume(self) -> None:
        while True:
            job_id = await self.queue.get()
            try:
                await self.runner.run(job_id)
            except Exception:
                logger.exception("job %s could not be run; the reconciler will retry it", job_id)
            await self.state.dispatcher.kick()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.deliveries.stop()
        worker = self.runner.worker_id
        await hand_back(self.state.sessionmaker, lambda session: queue.release_worker(session, worker))


async def run_distributed_worker(state: AppState) -> None:
    """`pmdi worker`: receive job ids from taskiq, and keep dispatching and reconciling."""
    from taskiq.acks import AcknowledgeType
    from taskiq.api import run_receiver_task

    backend = state.backend
    assert isinstance(backend, TaskiqBackend), "set PMDI_WORKER__BACKEND=taskiq to run `pmdi worker`"
    runner = JobRunner(state, default_pipeline(), worker_id())
    deliveries = DeliveryLoop(state, runner.worker_id)
    settings = state.settings.worker

    async def handle(job_id: str) -> None:
        await runner.run(uuid.UUID(job_id))
        await state.dispatcher.kick()

    backend.on_job(handle)
    loops = [
        asyncio.create_task(_every(settings.poll_seconds, state.dispatcher.dispatch, "dispatch")),
        asyncio.create_task(_every(settings.reconcile_seconds, lambda: reconcile(state), "reconcile")),
        asyncio.create_task(
            _every(state.settings.mail.tick_seconds, MailboxPoller(state).poll_due, "mailbox polling")
        ),
    ]
    deliveries.start()
    try:
        await run_receiver_task(
            backend.broker,
            max_async_tasks=settings.concurrency,
            max_prefetch=0,
            ack_time=AcknowledgeType.WHEN_EXECUTED,
        )
    finally:
        for task in loops:
            task.cancel()
        await deliveries.stop()
