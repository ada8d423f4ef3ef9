"""The dashboard's reads: one query per chart, each bound to one organisation and optionally one project.

Dates are bucketed by the caller: fetching a window's timestamps is portable, while date functions differ
between SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Row, Select, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from pmdi.documents.models import Document, DocumentStatus
from pmdi.jobs.models import Job, JobStage, JobState, StageState
from pmdi.llm.models import LLMUsage
from pmdi.projects.models import Project
from pmdi.registers.models import CLOSED_STATUSES, Kind, RegisterItem, Review

_LIVE = (Review.SUGGESTED, Review.ACCEPTED)
S = TypeVar("S", bound="Select[*tuple[Any, ...]]")


class DashboardRepository:
    def __init__(
        self, session: AsyncSession, organization_id: uuid.UUID, project_id: uuid.UUID | None
    ) -> None:
        self.session = session
        self.organization_id = organization_id
        self.project_id = project_id

    def _by_document(self, stmt: S, document_id: InstrumentedAttribute[Any]) -> S:
        """Jobs and usage know their project only through their document."""
        if self.project_id is None:
            return stmt
        return stmt.join(Document, Document.id == document_id).where(Document.project_id == self.project_id)

    def _documents(self, stmt: S) -> S:
        stmt = stmt.where(Document.organization_id == self.organization_id)
        return stmt if self.project_id is None else stmt.where(Document.project_id == self.project_id)

    def _items(self, stmt: S, kind: Kind) -> S:
        stmt = stmt.where(
            RegisterItem.organization_id == self.organization_id,
            RegisterItem.kind == kind,
            RegisterItem.review.in_(_LIVE),
        )
        return stmt if self.project_id is None else stmt.where(RegisterItem.project_id == self.project_id)

    async def document_totals(self, since: datetime) -> tuple[int, int]:
        """All documents, and those that failed since `since`."""
        failed = case(
            (and_(Document.status == DocumentStatus.FAILED, Document.updated_at >= since), 1), else_=0
        )
        stmt = self._documents(select(func.count(Document.id), func.coalesce(func.sum(failed), 0)))
        total, failed_count = (await self.session.execute(stmt)).one()
        return int(total), int(failed_count)

    async def processed_times(self, since: datetime) -> Sequence[datetime]:
        stmt = self._documents(select(Document.processed_at).where(Document.processed_at >= since))
        return [at for (at,) in (await self.session.execute(stmt)).all() if at is not None]

    async def stage_durations(
        self, since: datetime
    ) -> Sequence[Row[uuid.UUID, datetime | None, str, int | None]]:
        """(job, finished at, stage, milliseconds) of every stage of the jobs that succeeded since `since`,
        in the order the stages ran."""
        stmt = (
            select(Job.id, Job.finished_at, JobStage.stage, JobStage.duration_ms)
            .join(JobStage, JobStage.job_id == Job.id)
            .where(
                Job.organization_id == self.organization_id,
                Job.state == JobState.SUCCEEDED,
                Job.finished_at >= since,
                JobStage.state == StageState.SUCCEEDED,
                JobStage.duration_ms.is_not(None),
            )
            .order_by(JobStage.started_at)
        )
        return (await self.session.execute(self._by_document(stmt, Job.document_id))).all()

    async def llm_costs(self, since: datetime) -> Sequence[Row[datetime, float, int]]:
        """(recorded at, dollars, tokens) per analysis run since `since`."""
        stmt = select(LLMUsage.created_at, LLMUsage.cost_usd, LLMUsage.tokens_in + LLMUsage.tokens_out).where(
            LLMUsage.organization_id == self.organization_id, LLMUsage.created_at >= since
        )
        return (await self.session.execute(self._by_document(stmt, LLMUsage.document_id))).all()

    async def action_counts(self) -> Sequence[Row[uuid.UUID, str, str, int]]:
        """(project, its name, status, actions) for every project with actions."""
        stmt = self._items(
            select(Project.id, Project.name, RegisterItem.status, func.count(RegisterItem.id))
            .join(Project, Project.id == RegisterItem.project_id)
            .group_by(Project.id, Project.name, RegisterItem.status),
            Kind.ACTION,
        )
        return (await self.session.execute(stmt)).all()

    async def open_risk_counts(self) -> Sequence[Row[str | None, int]]:
        """(severity, open risks)."""
        stmt = self._items(
            select(RegisterItem.severity, func.count(RegisterItem.id))
            .where(RegisterItem.status.not_in(CLOSED_STATUSES))
            .group_by(RegisterItem.severity),
            Kind.RISK,
        )
        return (await self.session.execute(stmt)).all()
