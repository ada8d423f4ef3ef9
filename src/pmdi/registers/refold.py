"""Writing folded mentions back onto items: fields not edited by a user, the document history, and removal
of items no document mentions any more (unless a person made or touched them)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Collection
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.registers.announce import Changes, differences, snapshot
from pmdi.registers.fold import FIELDS, Folded, Seen, fold
from pmdi.registers.models import Change, Kind, Mention, RegisterItem
from pmdi.registers.owners import OwnerDirectory
from pmdi.registers.repository import ChangeRepository, ItemRepository, MentionRepository

_TEXT_LIMIT = 2000


async def refold(
    session: AsyncSession, organization_id: uuid.UUID, item_ids: Collection[uuid.UUID], owners: OwnerDirectory
) -> dict[uuid.UUID, Changes]:
    """Returns what changed on the items that remain, by item."""
    if not item_ids:
        return {}
    items = await ItemRepository(session, organization_id).by_ids(item_ids)
    seen: dict[uuid.UUID, list[Seen]] = defaultdict(list)
    for mention, _, _ in await MentionRepository(session, organization_id).for_items(item_ids):
        seen[mention.item_id].append(
            Seen(mention, mention.mentioned_on, mention.data, update=mention.kind == "update")
        )
    changes = ChangeRepository(session, organization_id)
    changed: dict[uuid.UUID, Changes] = {}
    for item in items:
        mentions = seen.get(item.id, [])
        if not mentions:
            if item.source == "document" and not item.user_touched:
                await session.delete(item)
            continue
        folded = fold(Kind(item.kind), mentions)
        before = snapshot(item)
        apply(item, folded, owners)
        if found := differences(before, item):
            changed[item.id] = found
        item.first_mentioned_on, item.last_mentioned_on = mentions[0].on, max(m.on for m in mentions)
        await changes.clear_from_documents(item.id)
        session.add_all(_history(item, folded))
    await session.flush()
    return changed


def apply(item: RegisterItem, folded: Folded, owners: OwnerDirectory) -> None:
    locked = set(item.edited_fields or ())
    if folded.text and "text" not in locked:
        item.text = folded.text[:_TEXT_LIMIT]
    if folded.category and "category" not in locked:
        item.category = folded.category
    for name in FIELDS[Kind(item.kind)]:
        if name not in locked:
            setattr(item, name, _typed(name, folded.values.get(name)))
    if "status" not in locked:
        item.status = folded.status
    if "owner" not in locked:
        item.owner_user_id = owners.resolve(item.owner)
    item.confidence = folded.confidence


def _typed(name: str, value: Any) -> Any:
    if name == "due_date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def _history(item: RegisterItem, folded: Folded) -> list[Change]:
    entries = []
    for name, old, new, seen in folded.history:
        mention: Mention = seen.key
        entries.append(
            Change(
                organization_id=item.organization_id,
                item_id=item.id,
                field=name,
                old=None if old is None else str(old),
                new=None if new is None else str(new),
                source="document",
                document_id=mention.document_id,
                changed_on=seen.on,
            )
        )
    return entries
