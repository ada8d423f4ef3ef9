"""Process-wide resources, created by the app lifespan (or a CLI command) and closed with it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from pmdi.auth.secrets import PasswordHasher
from pmdi.auth.throttle import LoginThrottle
from pmdi.config import Settings, ensure_secret_key
from pmdi.core.db import create_engine, create_sessionmaker
from pmdi.storage.base import Storage, create_storage


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    storage: Storage
    hasher: PasswordHasher
    login_throttle: LoginThrottle


@asynccontextmanager
async def open_state(settings: Settings) -> AsyncIterator[AppState]:
    ensure_secret_key(settings)
    engine = create_engine(settings.database)
    storage = create_storage(settings.storage)
    try:
        yield AppState(
            settings=settings,
            engine=engine,
            sessionmaker=create_sessionmaker(engine),
            storage=storage,
            hasher=PasswordHasher(settings.auth),
            login_throttle=LoginThrottle(settings.auth),
        )
    finally:
        await storage.close()
        await engine.dispose()
