"""Realtime fan-out. Subscriptions are per organisation channel: nothing is broadcast and filtered afterwards.

The local hub delivers to this process's subscribers; a transport carries messages between processes
(in-memory for the embedded mode, Redis pub/sub when several API or worker processes run).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

logger = logging.getLogger(__name__)
QUEUE_SIZE = 1000


class SlowConsumer(Exception):
    """The subscriber fell too far behind; it should reconnect and resume from its last event id."""


@dataclass
class Outgoing:
    """An event message as every subscriber sends it: parsed and framed once, not once per connection
    (with thousands of connections, that repetition was most of the cost of delivering an event)."""

    id: int
    type: str
    text: str

    @classmethod
    def parse(cls, text: str) -> Outgoing:
        parsed = json.loads(text)
        return cls(int(parsed["id"]), str(parsed["type"]), text)

    @cached_property
    def sse(self) -> bytes:
        return f"id: {self.id}\nevent: {self.type}\ndata: {self.text}\n\n".encode()


class Subscription:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[Outgoing | None] = asyncio.Queue(QUEUE_SIZE)

    def offer(self, message: Outgoing | None) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            # A marker the consumer sees after draining what it has; dropping it keeps the others fast.
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
            self.queue.put_nowait(None)

    async def get(self) -> Outgoing:
        message = await self.queue.get()
        if message is None:
            raise SlowConsumer()
        return message


class LocalHub:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[Subscription]] = {}

    def add(self, channel: str, subscription: Subscription) -> bool:
        """Returns True when this is the channel's first local subscriber."""
        subscribers = self._subscribers.setdefault(channel, set())
        subscribers.add(subscription)
        return len(subscribers) == 1

    def remove(self, channel: str, subscription: Subscription) -> bool:
        """Returns True when the channel has no local subscriber left."""
        subscribers = self._subscribers.get(channel, set())
        subscribers.discard(subscription)
        if subscribers:
            return False
        self._subscribers.pop(channel, None)
        return True

    def deliver(self, channel: str, text: str) -> None:
        subscribers = self._subscribers.get(channel)
        if not subscribers:
            return
        message = Outgoing.parse(text)
        for subscription in subscribers:
            subscription.offer(message)


def channel_for(organization_id: uuid.UUID) -> str:
    return f"pmdi:events:{organization_id}"


class EventBus(Protocol):
    async def publish(self, organization_id: uuid.UUID, message: str) -> None: ...

    def subscribe(self, organization_id: uuid.UUID) -> Any:
        """Async context manager yielding a Subscription for one organisation's channel."""
        ...

    async def close(self) -> None: ...


class MemoryBus:
    def __init__(self) -> None:
        self.hub = LocalHub()

    async def publish(self, organization_id: uuid.UUID, message: str) -> None:
        self.hub.deliver(channel_for(organization_id), message)

    @asynccontextmanager
    async def subscribe(self, organization_id: uuid.UUID) -> AsyncIterator[Subscription]:
        channel, subscription = channel_for(organization_id), Subscription()
        self.hub.add(channel, subscription)
        try:
            yield subscription
        finally:
            self.hub.remove(channel, subscription)

    async def close(self) -> None:
        return None


class RedisBus:
    """One Redis pub/sub connection per process, subscribed only to channels that local clients watch."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self.hub = LocalHub()
        self._redis = redis.Redis.from_url(url)
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def publish(self, organization_id: uuid.UUID, message: str) -> None:
        await self._redis.publish(channel_for(organization_id), message)

    @asynccontextmanager
    async def subscribe(self, organization_id: uuid.UUID) -> AsyncIterator[Subscription]:
        channel, subscription = channel_for(organization_id), Subscription()
        async with self._lock:
            if self.hub.add(channel, subscription):
                await self._pubsub.subscribe(channel)
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read())
        try:
            yield subscription
        finally:
            async with self._lock:
                if self.hub.remove(channel, subscription):
                    await self._pubsub.unsubscribe(channel)

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except Exception:
                logger.exception("redis pub/sub read failed; retrying")
                await asyncio.sleep(1.0)
                continue
            if message and message.get("type") == "message":
                channel = message["channel"].decode()
                self.hub.deliver(channel, message["data"].decode())

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._redis.aclose()


EVENT_BUSES: dict[str, Callable[[str], EventBus]] = {
    "memory": lambda _url: MemoryBus(),
    "redis": RedisBus,
}
