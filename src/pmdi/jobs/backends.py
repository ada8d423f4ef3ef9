"""Where dispatched jobs go: an in-process queue (embedded mode) or taskiq on Redis streams (scale-out).

Both only carry job ids; the job row in the database stays the source of truth.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from pmdi.config import Settings

if TYPE_CHECKING:
    from taskiq_redis import RedisStreamBroker

TASK_NAME = "pmdi.process_job"


class JobBackend(Protocol):
    name: str

    async def start(self) -> None: ...

    async def submit(self, job_ids: Sequence[uuid.UUID]) -> None: ...

    async def close(self) -> None: ...


class InProcessBackend:
    name = "inprocess"

    def __init__(self) -> None:
        self.queue: asyncio.Queue[uuid.UUID] = asyncio.Queue()

    async def start(self) -> None:
        return None

    async def submit(self, job_ids: Sequence[uuid.UUID]) -> None:
        for job_id in job_ids:
            self.queue.put_nowait(job_id)

    async def close(self) -> None:
        return None


class TaskiqBackend:
    """taskiq with Redis streams: acknowledged delivery, redelivery of messages a dead worker never acked."""

    name = "taskiq"

    def __init__(self, settings: Settings) -> None:
        from taskiq_redis import RedisStreamBroker

        lease_ms = int(settings.worker.lease_seconds * 1000)
        self.broker: RedisStreamBroker = RedisStreamBroker(
            settings.redis_url,
            queue_name=settings.worker.queue_name,
            consumer_group_name="pmdi-workers",
            # "0": a group created after jobs were queued still sees them ("$" would skip them).
            consumer_id="0",
            xread_count=1,
            maxlen=100_000,
            idle_timeout=2 * lease_ms,
            unacknowledged_lock_timeout=settings.worker.lease_seconds,
        )
        self._handler: Callable[[str], Awaitable[None]] | None = None

        async def process_job(job_id: str) -> None:
            if self._handler is None:
                raise RuntimeError("this process only dispatches jobs; run `pmdi worker` to process them")
            await self._handler(job_id)

        self.broker.register_task(process_job, task_name=TASK_NAME)

    def on_job(self, handler: Callable[[str], Awaitable[None]]) -> None:
        self._handler = handler

    async def start(self) -> None:
        await self.broker.startup()

    async def submit(self, job_ids: Sequence[uuid.UUID]) -> None:
        from taskiq.kicker import AsyncKicker

        kicker: AsyncKicker[Any, Any] = AsyncKicker(TASK_NAME, self.broker, {})
        for job_id in job_ids:
            await kicker.kiq(str(job_id))

    async def close(self) -> None:
        await self.broker.shutdown()


def create_backend(settings: Settings) -> JobBackend:
    if settings.worker.backend == "taskiq":
        return TaskiqBackend(settings)
    return InProcessBackend()
