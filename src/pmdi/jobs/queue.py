"""Worker-side job bookkeeping across organisations: fair dispatch, leases, reconciliation.

This is the one place that reads jobs of every organisation, because choosing fairly between organisations
needs to see them all. Everything it changes is a conditional UPDATE on one job, so several dispatchers,
workers and reconcilers can run at once without coordination: the row that changes wins, the others skip.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, CursorResult, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pmdi.core.db import utcnow
from pmdi.jobs.models import ACTIVE_JOB_STATES, Job, JobState


def _ready(now: datetime) -> ColumnElement[bool]:
    return (Job.state == JobState.QUEUED) & or_(Job.not_before.is_(None), Job.not_before <= now)


async def count_dispatched(session: AsyncSession) -> int:
    stmt = select(func.count()).where(Job.state == JobState.DISPATCHED)
    return int((await session.execute(stmt)).scalar_one())


async def count_by_state(session: AsyncSession) -> dict[str, int]:
    """Waiting and running jobs of every organisation: the queue depth that metrics report."""
    stmt = select(Job.state, func.count()).where(Job.state.in_(ACTIVE_JOB_STATES)).group_by(Job.state)
    return {str(state): int(n) for state, n in (await session.execute(stmt)).all()}


async def _in_flight_by_org(session: AsyncSession) -> dict[uuid.UUID, int]:
    stmt = (
        select(Job.organization_id, func.count())
        .where(Job.state.in_((JobState.DISPATCHED, JobState.RUNNING)))
        .group_by(Job.organization_id)
    )
    return {org: int(n) for org, n in (await session.execute(stmt)).all()}


async def _waiting_orgs(session: AsyncSession, now: datetime) -> list[tuple[uuid.UUID, datetime]]:
    stmt = (
        select(Job.organization_id, func.min(Job.created_at)).where(_ready(now)).group_by(Job.organization_id)
    )
    return [(org, oldest) for org, oldest in (await session.execute(stmt)).all()]


def fair_shares(
    waiting: list[tuple[uuid.UUID, datetime]], in_flight: dict[uuid.UUID, int], capacity: int
) -> dict[uuid.UUID, int]:
    """Give each free slot to the organisation with the fewest jobs in flight; the oldest wait breaks ties."""
    load = {org: in_flight.get(org, 0) for org, _ in waiting}
    oldest = dict(waiting)
    shares: dict[uuid.UUID, int] = defaultdict(int)
    for _ in range(capacity):
        if not load:
            break
        org = min(load, key=lambda o: (load[o], oldest[o]))
        shares[org] += 1
        load[org] += 1
    return shares


async def pick_fairly(session: AsyncSession, capacity: int) -> list[uuid.UUID]:
    """Mark up to `capacity` ready jobs as dispatched, fairly across organisations; return their ids."""
    now = utcnow()
    shares = fair_shares(await _waiting_orgs(session, now), await _in_flight_by_org(session), capacity)
    picked: list[uuid.UUID] = []
    for org, share in shares.items():
        stmt = (
            select(Job.id)
            .where(_ready(now), Job.organization_id == org)
            .order_by(Job.created_at)
            .limit(share)
        )
        for job_id in (await session.execute(stmt)).scalars():
            if await _transition(
                session, job_id, (JobState.QUEUED,), state=JobState.DISPATCHED, dispatched_at=now
            ):
                picked.append(job_id)
    return picked


async def _transition(
    session: AsyncSession,
    job_id: uuid.UUID,
    from_states: Sequence[str],
    *conditions: ColumnElement[bool],
    **values: object,
) -> bool:
    stmt = (
        update(Job)
        .where(Job.id == job_id, Job.state.in_(from_states), *conditions)
        .values(**values, updated_at=utcnow())
    )
    result: CursorResult[object] = await session.execute(stmt)  # type: ignore[assignment]
    return result.rowcount == 1


async def claim(session: AsyncSession, job_id: uuid.UUID, worker_id: str, lease_seconds: float) -> Job | None:
    """Take the lease on a job. None when someone else has it, or it is finished or cancelled."""
    now = utcnow()
    # A stale delivery may find its job queued again; it may run it, but not before a retry's backoff ends.
    claimed = await _transition(
        session,
        job_id,
        (JobState.QUEUED, JobState.DISPATCHED),
        or_(Job.not_before.is_(None), Job.not_before <= now),
        state=JobState.RUNNING,
        worker_id=worker_id,
        lease_expires_at=now + timedelta(seconds=lease_seconds),
        attempts=Job.attempts + 1,
        started_at=func.coalesce(Job.started_at, now),
        error=None,
    )
    return await session.get(Job, job_id, populate_existing=True) if claimed else None


async def still_holds(session: AsyncSession, job_id: uuid.UUID, worker_id: str, lease_seconds: float) -> bool:
    """Renew the lease; False means the lease was lost and this worker must not write results."""
    stmt = (
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.RUNNING, Job.worker_id == worker_id)
        .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))
    )
    result: CursorResult[object] = await session.execute(stmt)  # type: ignore[assignment]
    return result.rowcount == 1


async def release_worker(session: AsyncSession, worker_id: str) -> None:
    """A worker shutting down hands its running jobs back at once instead of waiting for lease expiry."""
    await session.execute(
        update(Job)
        .where(Job.state == JobState.RUNNING, Job.worker_id == worker_id)
        .values(state=JobState.QUEUED, worker_id=None, lease_expires_at=None, updated_at=utcnow())
    )


async def expired_leases(session: AsyncSession) -> Sequence[Job]:
    stmt = select(Job).where(Job.state == JobState.RUNNING, Job.lease_expires_at < utcnow())
    return (await session.execute(stmt)).scalars().all()


async def stale_dispatches(session: AsyncSession, older_than_seconds: float) -> Sequence[uuid.UUID]:
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    stmt = select(Job.id).where(Job.state == JobState.DISPATCHED, Job.dispatched_at < cutoff)
    return (await session.execute(stmt)).scalars().all()


async def requeue_dispatched(session: AsyncSession, job_id: uuid.UUID) -> bool:
    return await _transition(
        session, job_id, (JobState.DISPATCHED,), state=JobState.QUEUED, dispatched_at=None
    )


async def requeue_every_dispatched(session: AsyncSession) -> int:
    """For a fresh in-process queue: whatever was dispatched before it existed died with an earlier process.
    Should another process still hold one of these ids, the conditional claim lets only one of them run it."""
    stmt = (
        update(Job)
        .where(Job.state == JobState.DISPATCHED)
        .values(state=JobState.QUEUED, dispatched_at=None, updated_at=utcnow())
    )
    result: CursorResult[object] = await session.execute(stmt)  # type: ignore[assignment]
    return result.rowcount


async def release_expired(session: AsyncSession, job: Job, **values: object) -> bool:
    stmt = (
        update(Job)
        .where(Job.id == job.id, Job.state == JobState.RUNNING, Job.lease_expires_at < utcnow())
        .values(**values, worker_id=None, lease_expires_at=None, updated_at=utcnow())
    )
    result: CursorResult[object] = await session.execute(stmt)  # type: ignore[assignment]
    return result.rowcount == 1
