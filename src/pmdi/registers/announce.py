"""Action items and risks that were created or changed, announced to integrations in the change's transaction.

Only the fields a person reads count as a change: a new mention that leaves an item as it was (its
last-mentioned date, its confidence) is not news to a webhook.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.events.schemas import EventType
from pmdi.events.service import announce
from pmdi.registers.models import Kind, RegisterItem
from pmdi.registers.repository import ItemRepository
from pmdi.registers.schemas import ItemOut

WATCHED = (
    "text",
    "category",
    "owner",
    "owner_user_id",
    "due_date",
    "priority",
    "severity",
    "likelihood",
    "mitigation",
    "status",
    "review",
)
_TYPES = {
    (Kind.ACTION, "created"): EventType.ACTION_ITEM_CREATED,
    (Kind.ACTION, "updated"): EventType.ACTION_ITEM_UPDATED,
    (Kind.RISK, "created"): EventType.RISK_CREATED,
    (Kind.RISK, "updated"): EventType.RISK_UPDATED,
}
Changes = dict[str, list[str | None]]


def snapshot(item: RegisterItem) -> dict[str, Any]:
    return {name: getattr(item, name) for name in WATCHED}


def differences(before: Mapping[str, Any], item: RegisterItem) -> Changes:
    return {
        name: [_text(before[name]), _text(getattr(item, name))]
        for name in WATCHED
        if before[name] != getattr(item, name)
    }


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _event(
    item: RegisterItem, verb: str, changes: Changes | None, context: dict[str, Any]
) -> tuple[EventType, dict[str, Any]] | None:
    event_type = _TYPES.get((Kind(item.kind), verb))
    if event_type is None:
        return None
    item_data = ItemOut.model_validate(item).model_dump(mode="json", exclude={"mention_count"})
    data: dict[str, Any] = {"item": item_data}
    if changes is not None:
        data["changes"] = changes
    return event_type, {**data, **context}


async def announce_items(
    session: AsyncSession,
    organization_id: uuid.UUID,
    created: Collection[RegisterItem] = (),
    updated: Mapping[RegisterItem, Changes] | None = None,
    **context: Any,
) -> None:
    """`context` says where the change came from (`source`, `document_id`)."""
    events = [_event(item, "created", None, context) for item in created]
    events += [_event(item, "updated", changes, context) for item, changes in (updated or {}).items()]
    found = [event for event in events if event is not None]
    if found:
        await announce(session, organization_id, found)


async def announce_tracked(
    session: AsyncSession,
    organization_id: uuid.UUID,
    created: Collection[uuid.UUID],
    changed: Mapping[uuid.UUID, Changes],
    document_id: uuid.UUID,
) -> None:
    """After a document was merged into the registers: its new items, and those it changed."""
    ids = set(created) | set(changed)
    if not ids:
        return
    items = {item.id: item for item in await ItemRepository(session, organization_id).by_ids(ids)}
    await announce_items(
        session,
        organization_id,
        created=[items[i] for i in created if i in items],
        updated={items[i]: c for i, c in changed.items() if i in items and i not in created},
        source="document",
        document_id=str(document_id),
    )
