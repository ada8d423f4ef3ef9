"""Database engine, declarative base and the per-request/job unit of work."""

from __future__ import annotations

import logging
import sqlite3
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from pmdi.config import DatabaseSettings
from pmdi.core.sqlite_gate import WriteGate

logger = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    url = settings.url
    kwargs: dict[str, Any] = {"echo": settings.echo}
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)  # a local file: no connection to go stale, so no ping before each checkout
        kwargs["connect_args"] = {"factory": _RollbackOnClose}
    else:
        kwargs.update(pool_size=settings.pool_size, pool_pre_ping=True)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", partial(_sqlite_pragmas, settings.write_wait_seconds))
        WriteGate(settings.write_wait_seconds, engine.url.database).install(engine.sync_engine)
    return engine


def _ensure_sqlite_dir(url: str) -> None:
    from pathlib import Path

    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


class _RollbackOnClose(sqlite3.Connection):
    """SQLAlchemy closes a connection whose task was cancelled mid-statement. While a cursor of it is still
    referenced (by the cancellation's traceback, say), sqlite3 only marks the connection closed, and its open
    transaction keeps the database's write lock until the garbage collector frees that cursor: every other
    writer then waits and fails. Ending the transaction first releases the lock at once."""

    def close(self) -> None:
        if self.in_transaction:
            try:
                self.rollback()
            except sqlite3.Error as exc:
                logger.warning("could not roll back a SQLite connection being closed: %s", exc)
        super().close()


def _sqlite_pragmas(wait_seconds: float, dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers proceed while one writer commits; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(wait_seconds * 1000)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


Hook = Callable[[], Awaitable[None]]


def after_commit(session: AsyncSession, hook: Hook) -> None:
    """Run `hook` once the unit of work has committed (jobs, events, file clean-up)."""
    session.info.setdefault("after_commit", []).append(hook)


def after_rollback(session: AsyncSession, hook: Hook) -> None:
    """Run `hook` if the unit of work is rolled back (undo side effects made before commit)."""
    session.info.setdefault("after_rollback", []).append(hook)


def keep_on_error(session: AsyncSession) -> None:
    """Commit this unit of work even though it ends in a domain error (e.g. a revocation that must stick)."""
    session.info["commit_on_error"] = True


async def commit(session: AsyncSession) -> None:
    """The single commit of a request or job, followed by its deferred side effects."""
    await session.commit()
    hooks: list[Hook] = session.info.pop("after_commit", [])
    session.info.pop("after_rollback", None)
    for hook in hooks:
        await hook()


async def rollback(session: AsyncSession) -> None:
    await session.rollback()
    hooks: list[Hook] = session.info.pop("after_rollback", [])
    session.info.pop("after_commit", None)
    for hook in hooks:
        await hook()


@asynccontextmanager
async def unit_of_work(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A job's transaction outside HTTP: commit (then side effects) on success, roll back on error."""
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await rollback(session)
            raise
        await commit(session)


async def hand_back(
    sessionmaker: async_sessionmaker[AsyncSession], release: Callable[[AsyncSession], Awaitable[None]]
) -> None:
    """A worker's leases handed back as it stops. Best effort: they expire on their own, so a shutdown that
    cannot write just now (SQLite still locked by a transaction cut short) logs it rather than failing."""
    try:
        async with unit_of_work(sessionmaker) as session:
            await release(session)
    except OperationalError as exc:
        logger.warning("could not hand back leases at shutdown; they will expire instead: %s", exc.orig)
