"""A circuit breaker per model, held by each worker process: after repeated failures a provider is skipped
(the next one in the chain, or the offline rules, takes over) until a cool-down has passed, so a provider
outage does not cost every document a full timeout and retries."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pmdi.config import LLMSettings, ProviderSettings


def key_of(provider: str, model: str) -> str:
    return f"{provider}:{model}"


@dataclass
class CircuitBreaker:
    failures_to_open: int = 5
    cooldown_seconds: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, int] = field(default_factory=dict)
    _opened_at: dict[str, float] = field(default_factory=dict)

    def allows(self, key: str) -> bool:
        """Closed, or open for longer than the cool-down (one trial goes through, "half-open")."""
        opened = self._opened_at.get(key)
        return opened is None or self.clock() - opened >= self.cooldown_seconds

    def record(self, key: str, ok: bool) -> None:
        if ok:
            self._failures.pop(key, None)
            self._opened_at.pop(key, None)
            return
        self._failures[key] = self._failures.get(key, 0) + 1
        if self._failures[key] >= self.failures_to_open:
            self._opened_at[key] = self.clock()

    def usable(self, llm: LLMSettings) -> LLMSettings | None:
        """The chain without the providers whose circuit is open; None when none is left."""
        chain = [p for p in llm.chain() if self.allows(key_of(p.provider, p.model))]
        if not chain:
            return None
        first: ProviderSettings = chain[0]
        return llm.model_copy(update={**first.model_dump(), "fallbacks": chain[1:]})

    def observe(self, record: dict[str, Any] | None) -> None:
        """Learn from an analysis's `llm` record: unavailable providers failed, the one used worked."""
        if not record:
            return
        for attempt in record.get("attempts", []):
            if attempt.get("reason") == "llm_unavailable":
                self.record(key_of(attempt["provider"], attempt["model"]), ok=False)
        if record.get("fallback") is None and record.get("calls", 0) > 0:
            self.record(key_of(record["provider"], record["model"]), ok=True)
