from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, delete, func, select, update

from pmdi.core.tenancy import OrgRepository
from pmdi.documents.models import Document
from pmdi.projects.models import Project
from pmdi.registers.errors import AliasNotFound, FeedNotFound, ItemNotFound
from pmdi.registers.models import CalendarFeed, Change, Mention, OwnerAlias, RegisterItem, Review


class ItemRepository(OrgRepository[RegisterItem]):
    model = RegisterItem
    not_found = ItemNotFound

    def live(self) -> Select[RegisterItem]:
        """Items a register shows: neither rejected nor merged away."""
        return self.select().where(RegisterItem.review.in_([Review.SUGGESTED, Review.ACCEPTED]))

    async def kinds_in_project(self, project_id: uuid.UUID) -> Sequence[Row[uuid.UUID, str]]:
        stmt = select(RegisterItem.id, RegisterItem.kind).where(
            RegisterItem.organization_id == self.organization_id,
            RegisterItem.project_id == project_id,
            RegisterItem.review != Review.MERGED,
        )
        return (await self.session.execute(stmt)).all()

    async def by_ids(self, ids: Collection[uuid.UUID]) -> Sequence[RegisterItem]:
        return await self.list(self.select().where(RegisterItem.id.in_(list(ids))))

    async def lock_project(self, project_id: uuid.UUID) -> None:
        """Serialises register updates of one project (a row lock on PostgreSQL; SQLite has one writer)."""
        stmt = (
            update(Project)
            .where(Project.id == project_id, Project.organization_id == self.organization_id)
            .values(updated_at=Project.updated_at)
        )
        await self.session.execute(stmt)

    async def counts_by(self, stmt: Select[RegisterItem], column: str) -> list[tuple[str | None, int]]:
        sub = stmt.order_by(None).subquery()
        grouped = select(sub.c[column], func.count()).group_by(sub.c[column]).order_by(func.count().desc())
        return [(key, int(count)) for key, count in (await self.session.execute(grouped)).all()]


class MentionRepository(OrgRepository[Mention]):
    model = Mention

    async def for_document(self, document_id: uuid.UUID) -> Sequence[Mention]:
        return await self.list(self.select().where(Mention.document_id == document_id))

    async def for_items(self, item_ids: Collection[uuid.UUID]) -> Sequence[Row[Mention, datetime, str]]:
        """Mentions with their document's upload time and file name, oldest evidence first."""
        stmt = (
            select(Mention, Document.created_at, Document.filename)
            .join(Document, Document.id == Mention.document_id)
            .where(Mention.organization_id == self.organization_id, Mention.item_id.in_(list(item_ids)))
            .order_by(Mention.mentioned_on, Document.created_at, Mention.start)
        )
        return (await self.session.execute(stmt)).all()

    async def signatures(
        self, project_id: uuid.UUID
    ) -> Sequence[Row[uuid.UUID, dict[str, Any], bytes | None, str]]:
        """What matching compares, for every mention in a project, without loading whole rows."""
        stmt = (
            select(Mention.item_id, Mention.data, Mention.embedding, Mention.quote)
            .join(RegisterItem, RegisterItem.id == Mention.item_id)
            # Scoped through the item (a mention always shares its item's organisation): filtering both sides
            # made PostgreSQL intersect the whole organisation's mention index once per item.
            .where(RegisterItem.organization_id == self.organization_id)
            .where(RegisterItem.project_id == project_id)
        )
        return (await self.session.execute(stmt)).all()

    async def delete_for_document(self, document_id: uuid.UUID) -> None:
        stmt = delete(Mention).where(
            Mention.organization_id == self.organization_id, Mention.document_id == document_id
        )
        await self.session.execute(stmt)

    async def counts(self, item_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
        stmt = (
            select(Mention.item_id, func.count())
            .where(Mention.organization_id == self.organization_id, Mention.item_id.in_(list(item_ids)))
            .group_by(Mention.item_id)
        )
        return {item_id: int(n) for item_id, n in (await self.session.execute(stmt)).all()}

    async def move(self, mention_ids: Collection[uuid.UUID], item_id: uuid.UUID) -> None:
        stmt = (
            update(Mention)
            .where(Mention.organization_id == self.organization_id, Mention.id.in_(list(mention_ids)))
            .values(item_id=item_id, pinned=True)
        )
        await self.session.execute(stmt)


class ChangeRepository(OrgRepository[Change]):
    model = Change

    async def for_item(self, item_id: uuid.UUID) -> Sequence[Change]:
        stmt = self.select().where(Change.item_id == item_id).order_by(Change.changed_on, Change.created_at)
        return await self.list(stmt)

    async def clear_from_documents(self, item_id: uuid.UUID) -> None:
        stmt = delete(Change).where(
            Change.organization_id == self.organization_id,
            Change.item_id == item_id,
            Change.source == "document",
        )
        await self.session.execute(stmt)


class AliasRepository(OrgRepository[OwnerAlias]):
    model = OwnerAlias
    not_found = AliasNotFound

    async def named(self, alias: str) -> OwnerAlias | None:
        stmt = self.select().where(OwnerAlias.alias == alias)
        return (await self.session.execute(stmt)).scalar_one_or_none()


class FeedRepository(OrgRepository[CalendarFeed]):
    model = CalendarFeed
    not_found = FeedNotFound

    async def of_user(self, user_id: uuid.UUID) -> Sequence[CalendarFeed]:
        return await self.list(self.select().where(CalendarFeed.user_id == user_id))
