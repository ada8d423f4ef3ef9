"""Who holds a credential, and their role in an organisation, remembered for a few seconds.

Without it, every API call re-reads the login session, the user and the membership before doing its own
work; on a list endpoint that was most of the time spent. A committed change to a user, login session, API
key, membership or organisation made in this process forgets everything at once (the generation moves on,
and an answer read before the change is not stored). Other processes forget within `auth.cache_seconds`:
that is how long a revocation made elsewhere may take to reach them. `PMDI_AUTH__CACHE_SECONDS=0` turns
the cache off.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from datetime import datetime
from itertools import chain
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

from pmdi.api_keys.models import ApiKey
from pmdi.auth.models import AuthSession, User
from pmdi.core.db import utcnow
from pmdi.organizations.models import Membership, Organization

_AUTH_MODELS = (User, AuthSession, ApiKey, Membership, Organization)
_CHANGED = "auth_changed"
_generation = 0

V = TypeVar("V")


def forget_everything() -> None:
    global _generation
    _generation += 1


class TimedCache(Generic[V]):
    def __init__(self, seconds: float, max_entries: int = 10_000) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[int, float, V]] = OrderedDict()

    def get(self, key: Hashable) -> V | None:
        found = self._entries.get(key)
        if found is None:
            return None
        generation, deadline, value = found
        if generation != _generation or deadline <= time.monotonic():
            del self._entries[key]
            return None
        return value

    async def remember(
        self, key: Hashable, load: Callable[[], Awaitable[V]], expires_at: Callable[[V], datetime | None]
    ) -> V:
        """The remembered value, else `load()`'s, kept unless something changed while it was read."""
        found = self.get(key)
        if found is not None:
            return found
        generation = _generation
        value = await load()
        self.put(key, value, generation, expires_at(value))
        return value

    def put(self, key: Hashable, value: V, generation: int, expires_at: datetime | None = None) -> None:
        """Stores nothing if anything changed since `generation` was read: the value may predate it."""
        if self.seconds <= 0 or generation != _generation:
            return
        seconds = self.seconds
        if expires_at is not None:
            seconds = min(seconds, (expires_at - utcnow()).total_seconds())
        self._entries[key] = (generation, time.monotonic() + seconds, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


def _note_auth_changes(session: Session, _context: Any) -> None:
    if any(isinstance(obj, _AUTH_MODELS) for obj in chain(session.new, session.dirty, session.deleted)):
        session.info[_CHANGED] = True
        forget_everything()  # at once, so this transaction's own later reads see no stale answer


def _forget_after_commit(session: Session) -> None:
    # Again after commit: a request that read the old rows between flush and commit must not have its
    # answer kept.
    if session.info.pop(_CHANGED, False):
        forget_everything()


def _clear_flag(session: Session, _previous: Any) -> None:
    session.info.pop(_CHANGED, None)


def watch_sessions() -> None:
    """Listen to every ORM session of the process (idempotent)."""
    for name, listener in (
        ("after_flush", _note_auth_changes),
        ("after_commit", _forget_after_commit),
        ("after_soft_rollback", _clear_flag),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
