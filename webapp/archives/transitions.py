"""State changes of a job row, each one compare-and-set so duplicates and stale workers lose."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from webapp.archives.builder import ArchiveError, BuildCancelled, BuildResult
from webapp.archives.models import (
    CANCELLED,
    FAILED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    ArchiveJob,
)
from webapp.auth.models import ActivityEvent
from webapp.extensions import db
from webapp.types import utcnow

jobs = ArchiveJob.__table__
HEARTBEAT_SECONDS = 1.0
TIME_LIMIT_MESSAGE = "The export took longer than the time allowed and was stopped."


class LeaseLost(Exception):
    """Another worker owns the job now (our lease expired); stop without writing."""


@dataclass(frozen=True)
class Claim:
    """Proof that this worker runs this attempt of this job."""

    job_id: uuid.UUID
    user_id: int
    attempt: int

    def owned(self) -> sa.ColumnElement[bool]:
        """Match the row only while this attempt still holds it."""
        return sa.and_(
            jobs.c.id == self.job_id, jobs.c.status == RUNNING, jobs.c.attempts == self.attempt
        )


def _event(conn: Connection, user_id: int, kind: str, job_id: uuid.UUID) -> None:
    """Add an activity event in the same transaction as the state change."""
    conn.execute(
        sa.insert(ActivityEvent.__table__).values(
            user_id=user_id,
            kind=kind,
            created_at=utcnow(),
            user_agent="keepsake-worker",
            detail=str(job_id),
        )
    )


def claim(user_id: int, lease_seconds: int) -> Claim | None:
    """Move the user's queued job to running, or return None when there is none to take."""
    now = utcnow()
    queued = sa.select(jobs.c.id).where(jobs.c.user_id == user_id, jobs.c.status == QUEUED)
    with db.engine.begin() as conn:
        job_id = conn.scalar(queued.limit(1))
        if job_id is None:
            return None
        row = conn.execute(
            sa.update(jobs)
            .where(jobs.c.id == job_id, jobs.c.status == QUEUED)
            .values(
                status=RUNNING,
                attempts=jobs.c.attempts + 1,
                phase="starting",
                lease_until=now + timedelta(seconds=lease_seconds),
                started_at=sa.func.coalesce(jobs.c.started_at, now),
            )
            .returning(jobs.c.attempts)
        ).first()
        if row is None:
            return None
        _event(conn, user_id, "archive_started", job_id)
    return Claim(job_id, user_id, row.attempts)


class Heartbeat:
    """Writes progress and renews the lease, at most once a second; reads the cancel flag."""

    def __init__(self, claim: Claim, lease_seconds: int, time_limit: float | None = None) -> None:
        """Remember the claim, the lease length and when the time limit runs out."""
        self.claim = claim
        self.lease_seconds = lease_seconds
        self.deadline = time.monotonic() + time_limit if time_limit else None
        self._last = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        """Report progress; raise when the build must stop (cancelled, too slow, lease lost)."""
        now = time.monotonic()
        if self.deadline is not None and now > self.deadline:
            # Stopping here, between batches, leaves every connection in a clean state.
            raise ArchiveError("time_limit", TIME_LIMIT_MESSAGE)
        if now - self._last < HEARTBEAT_SECONDS and phase not in ("finishing", "verifying"):
            return
        self._last = now
        percent = min(99, done * 100 // total) if total else 0
        with db.engine.begin() as conn:
            row = conn.execute(
                sa.update(jobs)
                .where(self.claim.owned())
                .values(
                    phase=phase,
                    items_done=done,
                    items_total=total,
                    progress=percent,
                    lease_until=utcnow() + timedelta(seconds=self.lease_seconds),
                )
                .returning(jobs.c.cancel_requested)
            ).first()
        if row is None:
            raise LeaseLost(str(self.claim.job_id))
        if row.cancel_requested:
            raise BuildCancelled(str(self.claim.job_id))


def succeed(claim: Claim, result: BuildResult, storage_key: str, ttl_seconds: int) -> bool:
    """Record a finished archive; False when this attempt no longer owns the job."""
    now = utcnow()
    with db.engine.begin() as conn:
        updated = conn.execute(
            sa.update(jobs)
            .where(claim.owned())
            .values(
                status=SUCCEEDED,
                progress=100,
                phase="done",
                finished_at=now,
                expires_at=now + timedelta(seconds=ttl_seconds),
                storage_key=storage_key,
                size=result.size,
                sha256=result.sha256,
                lease_until=None,
                items_done=jobs.c.items_total,
                error_code=None,
                error=None,
            )
        ).rowcount
        if updated:
            _event(conn, claim.user_id, "archive_succeeded", claim.job_id)
    return bool(updated)


def finish_unsuccessfully(claim: Claim, status: str, code: str | None, message: str | None) -> bool:
    """End the attempt as failed or cancelled, with a user-safe reason."""
    with db.engine.begin() as conn:
        updated = conn.execute(
            sa.update(jobs)
            .where(claim.owned())
            .values(
                status=status,
                phase=status,
                finished_at=utcnow(),
                lease_until=None,
                error_code=code,
                error=message,
            )
        ).rowcount
        if updated:
            kind = "archive_cancelled" if status == CANCELLED else "archive_failed"
            _event(conn, claim.user_id, kind, claim.job_id)
    return bool(updated)


def release(claim: Claim, max_attempts: int) -> bool:
    """Give the job back to the queue after a transient error, or fail it when out of tries."""
    if claim.attempt >= max_attempts:
        return finish_unsuccessfully(
            claim,
            FAILED,
            "retries_exhausted",
            "The export kept hitting temporary errors. Please try again later.",
        )
    with db.engine.begin() as conn:
        return bool(
            conn.execute(
                sa.update(jobs)
                .where(claim.owned())
                .values(status=QUEUED, phase="waiting", lease_until=None, enqueued_at=utcnow())
            ).rowcount
        )


def take_notification(job_id: uuid.UUID) -> bool:
    """Claim the right to notify about a finished job, so a duplicate run sends nothing."""
    with db.engine.begin() as conn:
        return bool(
            conn.execute(
                sa.update(jobs)
                .where(jobs.c.id == job_id, jobs.c.notified_at.is_(None))
                .values(notified_at=utcnow())
            ).rowcount
        )
