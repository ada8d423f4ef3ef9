"""A process pool for CPU-heavy stage work, so parsing never blocks the event loop or takes a worker down."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from pmdi.jobs.errors import TransientStageError

T = TypeVar("T")


class ProcessPool:
    def __init__(self, size: int) -> None:
        self._size = max(1, size)
        self._pool: ProcessPoolExecutor | None = None

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._pool is None:
            # spawn, not fork: forking a process that runs an event loop and threads is unsafe.
            self._pool = ProcessPoolExecutor(self._size, mp_context=multiprocessing.get_context("spawn"))
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        except BrokenProcessPool as exc:
            self.close()
            raise TransientStageError("A processing subprocess crashed while handling this file.") from exc

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
