"""Admission control: jobs leave the database queue for the engine fairly and only a few at a time."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from pmdi.config import WorkerSettings
from pmdi.core.db import unit_of_work
from pmdi.jobs import queue
from pmdi.jobs.backends import JobBackend

logger = logging.getLogger(__name__)


class Dispatcher:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], backend: JobBackend, settings: WorkerSettings
    ) -> None:
        self.sessionmaker, self.backend, self.settings = sessionmaker, backend, settings
        self._lock = asyncio.Lock()
        self._pending: asyncio.Task[None] | None = None

    async def dispatch(self) -> int:
        """One pass; returns how many jobs were handed to the engine."""
        async with self._lock:
            async with unit_of_work(self.sessionmaker) as session:
                capacity = self.settings.dispatch_window - await queue.count_dispatched(session)
                picked = await queue.pick_fairly(session, capacity) if capacity > 0 else []
            # After commit: a crash here leaves them "dispatched", and the reconciler re-queues them.
            await self.backend.submit(picked)
            return len(picked)

    async def kick(self) -> None:
        """Request a pass soon without waiting for it; passes requested meanwhile are coalesced."""
        if self._pending is None or self._pending.done():
            self._pending = asyncio.create_task(self._safe_dispatch())

    async def _safe_dispatch(self) -> None:
        try:
            await self.dispatch()
        except Exception:
            logger.exception("dispatch pass failed; the next pass will retry")

    async def close(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pending
