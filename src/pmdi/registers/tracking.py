"""Merging one document's observations into its project's registers, in the analysis's transaction.

Reprocessing is idempotent: the document's old mentions are replaced; a mention seen before (same kind,
place and words) returns to the item it was on, so identities, reviews, merges and splits survive; only new
mentions are matched. User-edited fields are never written from documents.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import anyio.to_thread
import numpy as np
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.documents.models import Document
from pmdi.projects.repository import ProjectRepository
from pmdi.registers.announce import announce_tracked
from pmdi.registers.fold import INITIAL
from pmdi.registers.matching import MAYBE, SAME, Pool, Signature, signature
from pmdi.registers.models import Kind, Mention, RegisterItem, Review
from pmdi.registers.owners import directory
from pmdi.registers.refold import refold
from pmdi.registers.repository import ItemRepository, MentionRepository

_CLEAR_MARGIN = 0.05
_UPDATABLE = {Kind.ACTION.value, Kind.RISK.value, Kind.MILESTONE.value}


def _key(observation: dict[str, Any]) -> tuple[Any, ...]:
    evidence = observation["evidence"] or {}
    return (observation["update"], evidence.get("start"), observation["data"].get("text"))


def _mention_key(mention: Mention) -> tuple[Any, ...]:
    return (mention.kind == "update", mention.start, mention.data.get("text"))


def _vector(blob: bytes | None) -> np.ndarray | None:
    return np.frombuffer(blob, dtype="<f2").astype(np.float32) if blob else None


def _signature(data: dict[str, Any], blob: bytes | None, quote: str = "") -> Signature:
    text, owner, due = str(data.get("text") or ""), data.get("owner"), data.get("due_date")
    return signature(text, owner, _vector(blob), quote, due)


def _quote(observation: dict[str, Any]) -> str:
    return str((observation["evidence"] or {}).get("quote", ""))


class Tracker:
    def __init__(self, session: AsyncSession, document: Document, mentioned_on: dt.date) -> None:
        self.session = session
        self.document = document
        self.mentioned_on = mentioned_on
        self.items = ItemRepository(session, document.organization_id)
        self.mentions = MentionRepository(session, document.organization_id)
        self.kinds: dict[uuid.UUID, str] = {}  # the project's items (not merged away) by id
        self.pool = Pool()
        self.touched: set[uuid.UUID] = set()
        self.here: set[uuid.UUID] = set()  # items this document's extracted items are on
        self.auto_accept: float | None = None
        self.created: list[uuid.UUID] = []

    async def run(self, observations: list[dict[str, Any]]) -> dict[str, int]:
        await self.items.lock_project(self.document.project_id)
        project = await ProjectRepository(self.session, self.document.organization_id).get(
            self.document.project_id
        )
        self.auto_accept = project.auto_accept_confidence if project else None
        previous = await self._forget_document()
        await self._load_project()
        placed = 0
        for observation in observations:
            item_id = self._previous_item(previous, observation) or await self._match(observation)
            if item_id is not None:
                self._add_mention(item_id, observation, pinned=_key(observation) in previous["pinned"])
                placed += 1
        await self.session.flush()
        organization_id = self.document.organization_id
        owners = await directory(self.session, organization_id)
        changed = await refold(self.session, organization_id, self.touched, owners)
        await announce_tracked(self.session, organization_id, self.created, changed, self.document.id)
        return {"register_mentions": placed, "register_items_created": len(self.created)}

    async def _forget_document(self) -> dict[str, dict[tuple[Any, ...], uuid.UUID]]:
        old = await self.mentions.for_document(self.document.id)
        self.touched |= {m.item_id for m in old}
        previous: dict[str, dict[tuple[Any, ...], uuid.UUID]] = {"all": {}, "pinned": {}}
        for mention in old:
            previous["all"][_mention_key(mention)] = mention.item_id
            if mention.pinned:
                previous["pinned"][_mention_key(mention)] = mention.item_id
        await self.mentions.delete_for_document(self.document.id)
        return previous

    async def _load_project(self) -> None:
        self.kinds = dict(await self.items.kinds_in_project(self.document.project_id))
        rows = await self.mentions.signatures(self.document.project_id)
        # Taking thousands of mentions apart is CPU work: off the worker's event loop (it renews leases).
        await anyio.to_thread.run_sync(self._fill_pool, rows)

    def _fill_pool(self, rows: Sequence[Row[uuid.UUID, dict[str, Any], bytes | None, str]]) -> None:
        memo: dict[tuple[Any, ...], Signature] = {}
        for item_id, data, embedding, quote in rows:
            kind = self.kinds.get(item_id)
            if kind is not None:
                # Repeated wording (the same task copied from week to week) is taken apart once.
                key = (data.get("text"), data.get("owner"), embedding, quote)
                memo[key] = memo.get(key) or _signature(data, embedding, quote)
                self.pool.add(item_id, kind, memo[key])
        self.pool.freeze()

    def _previous_item(
        self, previous: dict[str, dict[tuple[Any, ...], uuid.UUID]], observation: dict[str, Any]
    ) -> uuid.UUID | None:
        item_id = previous["all"].get(_key(observation))
        kind = self.kinds.get(item_id) if item_id is not None else None
        if kind is None or (not observation["update"] and kind != observation["kind"]):
            return None
        return item_id

    async def _match(self, observation: dict[str, Any]) -> uuid.UUID | None:
        new = _signature(observation["data"], observation.get("vector"), _quote(observation))
        if observation["update"]:
            return self._match_update(new)
        # The analyzer already told this document's items apart: two of them are never one item.
        ranked = self.pool.ranked(new, {observation["kind"]}, exclude=self.here)
        best = ranked[0] if ranked else (0.0, None)
        second = ranked[1][0] if len(ranked) > 1 else 0.0
        if best[1] is not None and best[0] >= SAME and best[0] - second >= _CLEAR_MARGIN:
            return best[1]
        duplicate_of = best[1] if best[1] is not None and best[0] >= MAYBE else None
        return await self._create(observation, new, duplicate_of)

    def _match_update(self, new: Signature) -> uuid.UUID | None:
        """An update line changes an item only when it clearly names one; otherwise it is not evidence."""
        if len(new.stems) < 2:
            return None
        ranked = self.pool.ranked(new, _UPDATABLE)
        if not ranked or ranked[0][0] < SAME:
            return None
        if len(ranked) > 1 and ranked[0][0] - ranked[1][0] < _CLEAR_MARGIN:
            return None
        return ranked[0][1]

    async def _create(
        self, observation: dict[str, Any], new: Signature, duplicate_of: uuid.UUID | None
    ) -> uuid.UUID:
        data, kind = observation["data"], Kind(observation["kind"])
        confident = self.auto_accept is not None and float(data.get("confidence", 0.0)) >= self.auto_accept
        item = RegisterItem(
            id=uuid.uuid4(),
            project_id=self.document.project_id,
            kind=kind.value,
            category=data.get("category") or kind.value,
            text=data["text"],
            status=INITIAL[kind],
            review=Review.ACCEPTED if confident and duplicate_of is None else Review.SUGGESTED,
            duplicate_of_id=duplicate_of,
            source="document",
        )
        await self.items.add(item)
        self.kinds[item.id] = item.kind
        self.pool.add(item.id, item.kind, new)
        self.created.append(item.id)
        return item.id

    def _add_mention(self, item_id: uuid.UUID, observation: dict[str, Any], *, pinned: bool) -> None:
        evidence = observation["evidence"] or {}
        data = observation["data"]
        self.session.add(
            Mention(
                organization_id=self.document.organization_id,
                item_id=item_id,
                document_id=self.document.id,
                kind="update" if observation["update"] else "item",
                page=evidence.get("page"),
                quote=evidence.get("quote", ""),
                start=evidence.get("start"),
                end=evidence.get("end"),
                mentioned_on=self.mentioned_on,
                data=data,
                embedding=observation.get("vector"),
                pinned=pinned,
            )
        )
        if not observation["update"]:
            known = _signature(data, observation.get("vector"), _quote(observation))
            self.pool.add(item_id, self.kinds[item_id], known)
            self.here.add(item_id)
        self.touched.add(item_id)


async def track(
    session: AsyncSession, document: Document, observations: list[dict[str, Any]], mentioned_on: dt.date
) -> dict[str, int]:
    return await Tracker(session, document, mentioned_on).run(observations)


async def forget(session: AsyncSession, document: Document) -> None:
    """Before a document is deleted: its mentions go, and the items they were on are folded again."""
    mentions = MentionRepository(session, document.organization_id)
    touched = {m.item_id for m in await mentions.for_document(document.id)}
    await mentions.delete_for_document(document.id)
    await refold(
        session, document.organization_id, touched, await directory(session, document.organization_id)
    )
