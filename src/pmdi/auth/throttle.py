"""Login throttling keyed by (account, client) and by client, never by account alone.

Keying on the account alone would let anyone lock a victim out by failing logins on purpose; keying on the
pair means an attacker only ever slows down their own address.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from pmdi.config import AuthSettings


@dataclass
class _Window:
    stamps: deque[float] = field(default_factory=deque)

    def prune(self, now: float, window: float) -> None:
        while self.stamps and now - self.stamps[0] >= window:
            self.stamps.popleft()


class LoginThrottle:
    def __init__(self, settings: AuthSettings) -> None:
        self._per_pair = settings.login_max_failures_per_account_ip
        self._per_ip = settings.login_max_failures_per_ip
        self._window = float(settings.login_failure_window_seconds)
        self._failures: dict[str, _Window] = {}

    def retry_after(self, email: str, ip: str) -> int | None:
        """Seconds until this client may try this account again, or None when allowed now."""
        now = time.monotonic()
        waits = [
            self._wait(f"pair:{email}|{ip}", self._per_pair, now),
            self._wait(f"ip:{ip}", self._per_ip, now),
        ]
        blocked = [w for w in waits if w is not None]
        return max(blocked) if blocked else None

    def record_failure(self, email: str, ip: str) -> None:
        now = time.monotonic()
        for key in (f"pair:{email}|{ip}", f"ip:{ip}"):
            self._failures.setdefault(key, _Window()).stamps.append(now)
        if len(self._failures) > 100_000:
            self._evict(now)

    def record_success(self, email: str, ip: str) -> None:
        self._failures.pop(f"pair:{email}|{ip}", None)

    def _wait(self, key: str, limit: int, now: float) -> int | None:
        window = self._failures.get(key)
        if window is None:
            return None
        window.prune(now, self._window)
        if len(window.stamps) < limit:
            return None
        return max(1, int(self._window - (now - window.stamps[0])) + 1)

    def _evict(self, now: float) -> None:
        for key in list(self._failures):
            self._failures[key].prune(now, self._window)
            if not self._failures[key].stamps:
                del self._failures[key]
