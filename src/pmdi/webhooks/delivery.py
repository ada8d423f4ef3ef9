"""Sending deliveries: a loop in every worker process claims due rows with a lease, POSTs them signed, and
records each attempt; failures are retried with exponential backoff, and a webhook whose deliveries keep
failing is disabled.

The loop polls, and is nudged after a commit that created deliveries in this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid

import anyio
import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi import __version__
from pmdi.config import WebhookSettings
from pmdi.core import crypto
from pmdi.core.db import hand_back, unit_of_work
from pmdi.core.errors import PmdiError
from pmdi.core.state import AppState
from pmdi.jobs.runner import backoff_seconds
from pmdi.webhooks import outbox, queue, service, targets
from pmdi.webhooks.models import DeliveryState, Webhook, WebhookDelivery
from pmdi.webhooks.queue import Outcome
from pmdi.webhooks.signing import signature

logger = logging.getLogger(__name__)
_PRUNE_SECONDS = 3600.0


def _describe(status_code: int) -> str:
    if 300 <= status_code < 400:
        return f"HTTP {status_code} (redirects are not followed)"
    return f"HTTP {status_code}"


async def post(
    client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str], settings: WebhookSettings
) -> Outcome:
    """One attempt. The address is checked again and connected to as checked; the answer is not read."""
    started, timeout = time.monotonic(), settings.timeout_seconds

    def spent() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        with anyio.fail_after(timeout):
            target = await targets.pin(url, settings.allow_private_targets)
            extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else {}
            host = {"Host": target.host_header}
            request = client.build_request(
                "POST", target.url, content=body, headers={**headers, **host}, extensions=extensions
            )
            response = await client.send(request, stream=True)
            await response.aclose()
    except PmdiError as exc:
        return Outcome(None, exc.detail, spent())
    except TimeoutError:
        return Outcome(None, f"No answer within {timeout:g} s.", spent())
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}".rstrip(": "), spent())
    ok = 200 <= response.status_code < 300
    return Outcome(response.status_code, None if ok else _describe(response.status_code), spent())


def signed_request(delivery: WebhookDelivery, secret: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = int(time.time())
    return body, {
        "Content-Type": "application/json",
        "User-Agent": f"pmdi-webhooks/{__version__}",
        "X-Pmdi-Event": delivery.event_type,
        "X-Pmdi-Delivery": str(delivery.id),
        "X-Pmdi-Timestamp": str(timestamp),
        "X-Pmdi-Signature": signature(secret, timestamp, body),
    }


class DeliveryLoop:
    """Keeps up to `concurrency` deliveries in flight; claims more as attempts finish or rows become due."""

    def __init__(self, state: AppState, owner: str) -> None:
        self.state, self.settings, self.owner = state, state.settings.webhooks, owner
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None
        self._pruned_at: float | None = None

    def start(self) -> None:
        outbox.listen(self._wake.set)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        outbox.unlisten(self._wake.set)
        tasks = [*([self._task] if self._task else []), *self._inflight]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await hand_back(self.state.sessionmaker, lambda session: queue.release(session, self.owner))
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self._fill()
                await self._prune()
            except Exception:
                logger.exception("webhook delivery pass failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.poll_seconds)

    async def _fill(self) -> None:
        free = self.settings.concurrency - len(self._inflight)
        if free <= 0:
            return
        async with unit_of_work(self.state.sessionmaker) as session:
            claimed = await queue.claim(session, self.owner, self.settings.lease_seconds, free)
        for delivery_id in claimed:
            task = asyncio.create_task(self._deliver(delivery_id))
            self._inflight.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self._wake.set()

    async def _prune(self) -> None:
        now = time.monotonic()
        if self._pruned_at is not None and now - self._pruned_at < _PRUNE_SECONDS:
            return
        self._pruned_at = now
        async with unit_of_work(self.state.sessionmaker) as session:
            await queue.prune(session, self.settings.retention_days)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            # No keep-alive: a pooled connection to an address could carry another host's request.
            self._client = httpx.AsyncClient(
                follow_redirects=False,
                trust_env=False,
                timeout=self.settings.timeout_seconds,
                limits=httpx.Limits(max_keepalive_connections=0),
            )
        return self._client

    async def _deliver(self, delivery_id: uuid.UUID) -> None:
        try:
            await self._attempt(delivery_id)
        except Exception:
            logger.exception("webhook delivery %s crashed; it is retried when its lease expires", delivery_id)

    async def _attempt(self, delivery_id: uuid.UUID) -> None:
        async with self.state.sessionmaker() as session:
            delivery = await queue.held(session, delivery_id, self.owner)
            webhook = await session.get(Webhook, delivery.webhook_id) if delivery else None
        if delivery is None or webhook is None:
            return
        attempt = delivery.attempts
        if not webhook.enabled:
            outcome = Outcome(None, "Cancelled: the webhook was disabled.", 0)
            await self._record(delivery_id, attempt, outcome, cancelled=True)
            return
        try:
            secret = crypto.decrypt(self.state.settings.secret_key(), webhook.secret_encrypted)
        except PmdiError as exc:
            await self._record(delivery_id, attempt, Outcome(None, exc.detail, 0))
            return
        body, headers = signed_request(delivery, secret)
        outcome = await post(self._http(), webhook.url, body, headers, self.settings)
        await self._record(delivery_id, attempt, outcome)

    async def _record(
        self, delivery_id: uuid.UUID, attempt: int, outcome: Outcome, *, cancelled: bool = False
    ) -> None:
        """Written only while this worker holds the lease of this attempt: a late attempt changes nothing."""
        settings = self.settings
        async with unit_of_work(self.state.sessionmaker) as session:
            delivery = await queue.held(session, delivery_id, self.owner, attempt)
            if delivery is None:
                return
            state = self._next_state(delivery, outcome, cancelled)
            delay = backoff_seconds(
                delivery.attempts, settings.retry_backoff_seconds, settings.retry_backoff_max_seconds
            )
            await queue.record(session, delivery, outcome, state, delay)
            if state in (DeliveryState.SUCCEEDED, DeliveryState.FAILED):
                await self._count(session, delivery, outcome)

    def _next_state(self, delivery: WebhookDelivery, outcome: Outcome, cancelled: bool) -> DeliveryState:
        if cancelled:
            return DeliveryState.CANCELLED
        if outcome.ok:
            return DeliveryState.SUCCEEDED
        if delivery.attempts >= self.settings.max_attempts:
            return DeliveryState.FAILED
        return DeliveryState.PENDING

    async def _count(self, session: AsyncSession, delivery: WebhookDelivery, outcome: Outcome) -> None:
        """A success resets the webhook's run of failed deliveries; a long enough run disables it."""
        failures = await queue.count_outcome(session, delivery.webhook_id, failed=not outcome.ok)
        if failures < self.settings.disable_after_failures:
            return
        webhook = await session.get(Webhook, delivery.webhook_id, populate_existing=True)
        if webhook is not None and webhook.enabled:
            await service.disable_failing(session, webhook, failures, outcome.error or "unknown error")
