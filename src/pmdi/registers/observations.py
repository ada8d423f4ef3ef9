"""What one analysed document says about register items: its extracted items and its update lines, as plain
dicts (computed in the worker, off the event loop, and handed to the save step)."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from pmdi.analysis.schemas import Analysis, Evidence, Item
from pmdi.registers.models import Kind
from pmdi.registers.signals import Update, find_updates, without_move
from pmdi.search.vectors import to_blob

if TYPE_CHECKING:
    from pmdi.core.state import AppState

_MAX_TEXT = 2000
# kind, update (bool), data, evidence, match_text and, once embedded, vector.
Observation = dict[str, Any]


def observe(
    analysis: Analysis,
    text: str,
    pages: list[dict[str, Any]],
    blocks: list[dict[str, Any]],
    reference: dt.date | None,
) -> list[Observation]:
    found = _items(analysis)
    updates = find_updates(text, reference)
    taken = [(u.start, u.end) for u in updates]
    for marked in _marked_done(text, blocks):
        if not any(start < marked.end and marked.start < end for start, end in taken):
            updates.append(marked)
    for update in updates:
        if not _fold_into_item(found, update, reference):
            found.append(_update(update, _page_at(pages, update.start)))
    return found


def _marked_done(text: str, blocks: list[dict[str, Any]]) -> list[Update]:
    """Ticked boxes and struck-through lines: the formatting itself says the item is done."""
    found = []
    for block in blocks:
        meta = block.get("meta") or {}
        if meta.get("checked") or meta.get("struck"):
            quote = text[block["start"] : block["end"]]
            found.append(Update(block["start"], block["end"], quote, quote, "done", None))
    return found


def _items(analysis: Analysis) -> list[Observation]:
    found: list[Observation] = []
    for action in analysis.action_items:
        data = {"owner": action.owner, "due_date": action.due_date, "priority": action.priority}
        found.append(_item(Kind.ACTION, action.text, action, {**data, "status": action.status}))
    for risk in [*analysis.risks, *analysis.raid]:
        data = {"owner": risk.owner, "severity": risk.severity, "likelihood": risk.likelihood}
        category = risk.category
        found.append(
            _item(Kind.RISK, risk.text, risk, {**data, "mitigation": risk.mitigation, "category": category})
        )
    for decision in analysis.decisions:
        found.append(
            _item(Kind.DECISION, decision.text, decision, {"owner": getattr(decision, "owner", None)})
        )
    for milestone in analysis.milestones:
        found.append(_item(Kind.MILESTONE, milestone.name, milestone, {"due_date": milestone.date}))
    return found


def _item(kind: Kind, text: str, item: Item, data: dict[str, Any]) -> Observation:
    values = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in data.items() if v is not None}
    values.setdefault("category", kind.value)
    return {
        "kind": kind.value,
        "update": False,
        "data": {"text": text[:_MAX_TEXT], "confidence": item.confidence, **values},
        "evidence": _evidence(item.evidence),
        "match_text": text[:_MAX_TEXT],
    }


def _evidence(evidence: Evidence | None) -> dict[str, Any] | None:
    return evidence.model_dump() if evidence is not None else None


def _fold_into_item(found: list[Observation], update: Update, reference: dt.date | None) -> bool:
    """An update line that is also an extracted item ("ACTION: Priya - shortlist, moved to 10/12") is one
    mention: the item's, carrying what the line says happened."""
    for observation in found:
        evidence = observation["evidence"]
        if observation["update"] or evidence is None:
            continue
        if evidence["start"] < update.end and update.start < evidence["end"]:
            data = observation["data"]
            if update.status is not None:
                data["status"] = update.status
            if update.due_date is not None and observation["kind"] in {Kind.ACTION, Kind.MILESTONE}:
                data["due_date"] = update.due_date.isoformat()
                data["text"] = observation["match_text"] = without_move(data["text"], reference)
            return True
    return False


def _update(update: Update, page: int) -> Observation:
    data: dict[str, Any] = {"text": update.core[:_MAX_TEXT]}
    if update.status is not None:
        data["status"] = update.status
    if update.due_date is not None:
        data["due_date"] = update.due_date.isoformat()
    evidence = {"page": page, "quote": update.quote, "start": update.start, "end": update.end}
    return {"kind": None, "update": True, "data": data, "evidence": evidence, "match_text": update.core}


def _page_at(pages: list[dict[str, Any]], offset: int) -> int:
    starts = [p["start"] for p in pages]
    index = bisect_right(starts, offset) - 1
    return int(pages[index]["number"]) if index >= 0 else 1


async def prepare(state: AppState, analysis: Analysis, content: dict[str, Any]) -> list[Observation]:
    """The document's observations with their meaning vectors, computed before the save transaction.
    `content` is the stored extraction (text, pages, blocks)."""
    found = await anyio.to_thread.run_sync(
        observe, analysis, content["text"], content["pages"], content["blocks"], analysis.document_date
    )
    if state.embedder is not None and found:
        vectors = await anyio.to_thread.run_sync(state.embedder.embed, [o["match_text"] for o in found])
        for observation, vector in zip(found, vectors, strict=True):
            observation["vector"] = to_blob(vector)
    return found
