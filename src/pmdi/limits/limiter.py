"""Fixed-window request counters: in memory for one process, in Redis when several processes serve the API.

A fixed window lets a client spend up to twice its limit across a window boundary; the limits are there to
stop floods and runaway scripts, not to meter precisely, and a fixed window costs one counter per key.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from pmdi.config import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)

_MAX_MEMORY_KEYS = 100_000
_WARN_EVERY_SECONDS = 60.0


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, window_seconds: int) -> int | None:
        """Count one request: None while within `limit`, else the seconds until the window resets."""
        ...

    async def close(self) -> None: ...


def _retry_after(now: float, window_number: int, window_seconds: int) -> int:
    return max(1, math.ceil((window_number + 1) * window_seconds - now))


class MemoryLimiter:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (window number, requests in it)

    async def hit(self, key: str, limit: int, window_seconds: int) -> int | None:
        now = self._clock()
        number = int(now // window_seconds)
        seen_in, count = self._counts.get(key, (number, 0))
        count = count + 1 if seen_in == number else 1
        self._counts[key] = (number, count)
        if len(self._counts) > _MAX_MEMORY_KEYS:
            self._counts = {k: v for k, v in self._counts.items() if v[0] == number}
        return None if count <= limit else _retry_after(now, number, window_seconds)

    async def close(self) -> None:
        self._counts.clear()


class RedisLimiter:
    """INCR and EXPIRE in one MULTI/EXEC: atomic across API processes, one key per client and window."""

    def __init__(self, url: str, prefix: str = "pmdi:ratelimit:") -> None:
        import redis.asyncio as redis

        self._redis: Redis = redis.Redis.from_url(url, socket_connect_timeout=1.0, socket_timeout=1.0)
        self._prefix = prefix
        self._warned_at = float("-inf")

    async def hit(self, key: str, limit: int, window_seconds: int) -> int | None:
        from redis.exceptions import RedisError

        now = time.time()
        number = int(now // window_seconds)
        name = f"{self._prefix}{key}:{number}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, window_seconds + 1)
                count, _ = await pipe.execute()
        except (OSError, RedisError):
            # Fail open: an unreachable Redis must not take the whole API down with it.
            self._warn_unavailable()
            return None
        return None if int(count) <= limit else _retry_after(now, number, window_seconds)

    def _warn_unavailable(self) -> None:
        if time.monotonic() - self._warned_at >= _WARN_EVERY_SECONDS:
            self._warned_at = time.monotonic()
            logger.warning("rate limiting is off: Redis is unreachable", exc_info=True)

    async def close(self) -> None:
        await self._redis.aclose()


def _backend(settings: Settings) -> str:
    chosen = settings.limits.backend
    if chosen != "auto":
        return chosen
    uses_redis = settings.worker.backend == "taskiq" or settings.realtime.backend == "redis"
    return "redis" if uses_redis else "memory"


LIMITERS: dict[str, Callable[[Settings], RateLimiter]] = {
    "memory": lambda settings: MemoryLimiter(),
    "redis": lambda settings: RedisLimiter(settings.redis_url),
}


def create_limiter(settings: Settings) -> RateLimiter:
    return LIMITERS[_backend(settings)](settings)
