"""Process-wide resources, created by the app lifespan (or a CLI command) and closed with it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from pmdi.auth.cache import TimedCache, watch_sessions
from pmdi.auth.permissions import Role
from pmdi.auth.principal import Principal
from pmdi.auth.secrets import PasswordHasher
from pmdi.auth.throttle import LoginThrottle
from pmdi.config import Settings, ensure_secret_key
from pmdi.core import models  # noqa: F401 - every mapper must be registered before the first query
from pmdi.core.db import create_engine, create_sessionmaker
from pmdi.core.processes import Sandbox
from pmdi.events.bus import EVENT_BUSES, EventBus
from pmdi.jobs.backends import JobBackend, create_backend
from pmdi.jobs.dispatcher import Dispatcher
from pmdi.limits.limiter import RateLimiter, create_limiter
from pmdi.llm.breaker import CircuitBreaker
from pmdi.observability.redaction import remember_secrets
from pmdi.search.embeddings import Embedder, create_embedder
from pmdi.search.vectors import VectorIndex
from pmdi.storage.base import Storage, create_storage


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    storage: Storage
    hasher: PasswordHasher
    login_throttle: LoginThrottle
    events: EventBus
    processes: Sandbox
    backend: JobBackend
    dispatcher: Dispatcher
    limiter: RateLimiter
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)
    embedder: Embedder | None = None  # None: keyword search only
    vectors: VectorIndex = field(default_factory=VectorIndex)
    principals: TimedCache[Principal] = field(default_factory=lambda: TimedCache(0))
    contexts: TimedCache[tuple[uuid.UUID, Role]] = field(default_factory=lambda: TimedCache(0))


@asynccontextmanager
async def open_state(settings: Settings) -> AsyncIterator[AppState]:
    ensure_secret_key(settings)
    remember_secrets(settings)
    engine = create_engine(settings.database)
    sessionmaker = create_sessionmaker(engine)
    storage = create_storage(settings.storage)
    events = EVENT_BUSES[settings.realtime.backend](settings.redis_url)
    processes = Sandbox(settings.worker.task_timeout_seconds, settings.worker.task_memory_mb)
    backend = create_backend(settings)
    dispatcher = Dispatcher(sessionmaker, backend, settings.worker)
    limiter = create_limiter(settings)
    llm = settings.analysis.llm
    watch_sessions()
    try:
        await backend.start()
        yield AppState(
            settings=settings,
            engine=engine,
            sessionmaker=sessionmaker,
            storage=storage,
            hasher=PasswordHasher(settings.auth),
            login_throttle=LoginThrottle(settings.auth),
            events=events,
            processes=processes,
            backend=backend,
            dispatcher=dispatcher,
            limiter=limiter,
            breaker=CircuitBreaker(llm.breaker_failures, llm.breaker_cooldown_seconds),
            embedder=create_embedder(settings.search),
            principals=TimedCache(settings.auth.cache_seconds),
            contexts=TimedCache(settings.auth.cache_seconds),
        )
    finally:
        await dispatcher.close()
        await limiter.close()
        await backend.close()
        await events.close()
        await storage.close()
        await engine.dispose()
