"""An item's state from its mentions, oldest first: each field takes the latest value a document gave it,
and every change of value is a history entry. Rebuilt whole on every change, so documents processed out of
order or reprocessed give the same result."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pmdi.registers.models import Kind

FIELDS: dict[Kind, tuple[str, ...]] = {
    Kind.ACTION: ("owner", "due_date", "priority"),
    Kind.RISK: ("owner", "severity", "likelihood", "mitigation"),
    Kind.DECISION: ("owner",),
    Kind.MILESTONE: ("due_date",),
}
# What an update line's words mean for each kind ("done" closes a risk and achieves a milestone).
_STATUS_FOR: dict[Kind, dict[str, str]] = {
    Kind.ACTION: {"done": "done", "cancelled": "cancelled", "in_progress": "in_progress"},
    Kind.RISK: {"done": "closed", "cancelled": "closed", "mitigating": "mitigating", "closed": "closed"},
    Kind.DECISION: {"cancelled": "reversed"},
    Kind.MILESTONE: {"done": "achieved", "cancelled": "cancelled", "achieved": "achieved"},
}
INITIAL = {Kind.ACTION: "open", Kind.RISK: "open", Kind.DECISION: "recorded", Kind.MILESTONE: "planned"}


@dataclass(frozen=True)
class Seen:
    """One mention as the fold needs it."""

    key: Any  # handed back in history entries (the mention)
    on: dt.date
    data: dict[str, Any]
    update: bool = False  # an update line: it can change fields, but its words are not the item's text


@dataclass
class Folded:
    text: str | None = None
    category: str | None = None
    status: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    confidence: float = 0.0
    history: list[tuple[str, Any, Any, Seen]] = field(default_factory=list)


def status_of(kind: Kind, said: str | None) -> str | None:
    if said is None:
        return None
    return _STATUS_FOR[kind].get(said) or (said if said in _STATUS_FOR[kind].values() else None)


def fold(kind: Kind, seen: list[Seen]) -> Folded:
    result = Folded(status=INITIAL[kind])
    for mention in seen:
        data = mention.data
        if result.text is None and data.get("text") and not mention.update:
            result.text, result.category = data["text"], data.get("category")
        result.confidence = max(result.confidence, float(data.get("confidence") or 0.0))
        for name in FIELDS[kind]:
            _set(result, name, data.get(name), mention)
        status = status_of(kind, data.get("status"))
        # Plain mentions say nothing about status ("open" is the analyzer's default), so a stale copy of a
        # task in later minutes does not reopen it.
        if status is not None and status != result.status and status != INITIAL[kind]:
            result.history.append(("status", result.status, status, mention))
            result.status = status
    return result


def _set(result: Folded, name: str, value: Any, mention: Seen) -> None:
    if value is None or value == "":
        return
    if name not in result.values:
        result.values[name] = value
    elif result.values[name] != value:
        result.history.append((name, result.values[name], value, mention))
        result.values[name] = value
