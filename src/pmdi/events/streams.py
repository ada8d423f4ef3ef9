"""Delivering one organisation's events to one client, over SSE or WebSocket.

The subscription is opened before missed events are read from the outbox, so nothing falls in between;
ids already sent are skipped. Heartbeats keep proxies from closing idle streams, and every connection has a
bounded lifetime (clients reconnect and resume with their last event id).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from pmdi.core.state import AppState
from pmdi.events.bus import Outgoing, SlowConsumer
from pmdi.events.service import events_after, to_message


@dataclass(frozen=True)
class Control:
    """A stream message that is not an event: a heartbeat, or the signal that live delivery has begun."""

    name: str


PING, READY = Control("ping"), Control("ready")


async def event_messages(
    state: AppState, organization_id: uuid.UUID, last_id: int | None
) -> AsyncIterator[Outgoing | Control]:
    """Yields event messages in order: missed ones, READY once live, PING when a heartbeat is due.

    Ends when the connection's lifetime is reached.
    """
    settings = state.settings.realtime
    deadline = time.monotonic() + settings.max_connection_seconds
    async with state.events.subscribe(organization_id) as subscription:
        sent = last_id or 0
        if last_id is not None:
            async with state.sessionmaker() as session:
                missed = await events_after(session, organization_id, last_id)
            for event in missed:
                sent = event.id
                yield Outgoing.parse(to_message(event))
        yield READY
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                # A timeout scope, not `wait_for`: that makes a task per message per connection.
                async with asyncio.timeout(min(settings.heartbeat_seconds, remaining)):
                    message = await subscription.get()
            except TimeoutError:
                yield PING
                continue
            except SlowConsumer:
                return
            if message.id > sent:
                sent = message.id
                yield message


def sse_frame(message: Outgoing | Control) -> bytes:
    if isinstance(message, Control):
        return f": {message.name}\n\n".encode()
    return message.sse


async def sse_stream(
    state: AppState, organization_id: uuid.UUID, last_id: int | None
) -> AsyncIterator[bytes]:
    yield b"retry: 2000\n\n"
    async for message in event_messages(state, organization_id, last_id):
        yield sse_frame(message)
