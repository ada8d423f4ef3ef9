"""Organisation scoping: every tenant table carries `organization_id`, every query goes through here."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import ForeignKey, Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from pmdi.core.errors import NotFound


class OrgScoped:
    """Mixin for tenant-owned rows. The id is declared here so the repository can type its lookups."""

    id: Mapped[uuid.UUID]

    @declared_attr
    def organization_id(cls) -> Mapped[uuid.UUID]:  # noqa: N805 - SQLAlchemy passes the class
        return mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)


M = TypeVar("M", bound=OrgScoped)


class OrgRepository(Generic[M]):
    """Base repository bound to one organisation at construction; there is no unscoped query here."""

    model: type[M]
    not_found: type[NotFound] = NotFound

    def __init__(self, session: AsyncSession, organization_id: uuid.UUID) -> None:
        self.session = session
        self.organization_id = organization_id

    def select(self) -> Select[M]:
        return select(self.model).where(self.model.organization_id == self.organization_id)

    async def get(self, obj_id: uuid.UUID) -> M | None:
        result = await self.session.execute(self.select().where(self.model.id == obj_id))
        return result.scalar_one_or_none()

    async def get_or_raise(self, obj_id: uuid.UUID) -> M:
        obj = await self.get(obj_id)
        if obj is None:
            raise self.not_found()
        return obj

    async def list(self, stmt: Select[M] | None = None) -> Sequence[M]:
        result = await self.session.execute(stmt if stmt is not None else self.select())
        return result.scalars().all()

    async def count(self, stmt: Select[M]) -> int:
        counted = select(func.count()).select_from(stmt.order_by(None).subquery())
        return int((await self.session.execute(counted)).scalar_one())

    async def add(self, obj: M) -> M:
        obj.organization_id = self.organization_id
        self.session.add(obj)
        await self.session.flush()
        return obj

    async def delete(self, obj: M) -> None:
        if obj.organization_id != self.organization_id:
            raise self.not_found()
        await self.session.delete(obj)
        await self.session.flush()

    async def page(self, stmt: Select[M], limit: int, offset: int) -> tuple[Sequence[M], int]:
        rows, total = await self.page_rows(stmt, limit, offset)
        return [row[0] for row in rows], total

    async def page_rows(self, stmt: Select[Any], limit: int, offset: int) -> tuple[Sequence[Row[Any]], int]:
        """The rows and the total in one statement (a window count); a page past the end counts apart.

        Given plain columns instead of an entity, the rows skip the ORM's identity map and instance
        bookkeeping: a list page only reads them once, to serialise.
        """
        windowed = stmt.add_columns(func.count().over().label("total")).limit(limit).offset(offset)
        rows = (await self.session.execute(windowed)).all()
        if rows:
            return rows, int(rows[0][-1])
        return [], (await self.count(stmt) if offset else 0)
