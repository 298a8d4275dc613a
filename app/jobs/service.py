"""Enqueue, claim and settle jobs in the `jobs` table.

A job is claimed by setting a lease (`locked_until`). A worker that dies leaves the lease to
expire, and the next claim takes the job again, so no accepted job is lost to a crash.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.database import utcnow
from app.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job

TRIAGE = "triage"
LABEL_REVIEW = "label_review"  # a person changed a taxonomy label on GitHub


class JobSignal:
    """Wakes an in-process worker as soon as a job is committed, instead of at its next poll."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()

    async def wait(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            pass
        self._event.clear()


async def enqueue(
    session: AsyncSession,
    kind: str,
    *,
    issue_id: int | None,
    delivery_id: int | None,
    max_attempts: int,
) -> Job:
    job = Job(
        kind=kind,
        issue_id=issue_id,
        delivery_id=delivery_id,
        status=QUEUED,
        max_attempts=max_attempts,
        run_after=utcnow(),
    )
    session.add(job)
    await session.flush()
    return job


async def claim(session: AsyncSession, worker_id: str, lease_seconds: int) -> Job | None:
    """Take the oldest due job, or one whose lease expired, and lease it to `worker_id`."""
    now = utcnow()
    claimable = or_(
        (Job.status == QUEUED) & (Job.run_after <= now),
        (Job.status == RUNNING) & (Job.locked_until < now),
    )
    # SKIP LOCKED lets several PostgreSQL workers claim in parallel; SQLite ignores it and
    # serialises writers instead. The outer WHERE repeats the condition so that a row another
    # worker claimed in the meantime is not claimed twice.
    candidate = (
        select(Job.id)
        .where(claimable)
        .order_by(Job.run_after, Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    statement = (
        update(Job)
        .where(Job.id == candidate, claimable)
        .values(
            status=RUNNING,
            attempts=Job.attempts + 1,
            locked_by=worker_id,
            locked_until=now + timedelta(seconds=lease_seconds),
            started_at=now,
        )
        .returning(Job)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(statement)
    return result.scalar_one_or_none()


async def complete(session: AsyncSession, job: Job, result: str) -> None:
    await session.execute(
        update(Job)
        .where(Job.id == job.id)
        .values(status=DONE, result=result, locked_until=None, finished_at=utcnow(), last_error=None)
    )


async def fail(session: AsyncSession, job: Job, error: str, *, retryable: bool) -> str:
    """Record a failed attempt. Retry later with exponential backoff while attempts remain."""
    if retryable and job.attempts < job.max_attempts:
        delay = min(2 ** job.attempts * 5, 600)
        await session.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(
                status=QUEUED,
                last_error=error[:4000],
                locked_until=None,
                run_after=utcnow() + timedelta(seconds=delay),
            )
        )
        return QUEUED

    await session.execute(
        update(Job)
        .where(Job.id == job.id)
        .values(status=FAILED, last_error=error[:4000], locked_until=None, finished_at=utcnow())
    )
    return FAILED


async def get(session: AsyncSession, job_id: int) -> Job | None:
    return await session.get(Job, job_id)


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Job.status, func.count()).group_by(Job.status))
    return {status: count for status, count in rows.all()}
