"""Every change of a job's state: one function each, compare-and-set on the state it expects.

Each function writes its activity event in the same transaction as the change, so no path can
move a job without leaving its trace. Callers choose rows and react; they never write status.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from webapp.archives import attempts, chain
from webapp.archives.builder import ArchiveError, BuildResult
from webapp.archives.models import ACTIVE_STATES, FINAL_STATES, ArchiveJob, JobStatus
from webapp.archives.rows import REQUEUED, AfterChange, JobRef, JobTable, ended
from webapp.archives.selection import Selection
from webapp.extensions import db
from webapp.ops.context import current_request_id
from webapp.types import utcnow

jobs = ArchiveJob.__table__
HEARTBEAT_SECONDS = 1.0
TIME_LIMIT_MESSAGE = "The export took longer than the time allowed and was stopped."
RETRIES_EXHAUSTED = "The export kept hitting temporary errors. Please try again later."
WORKER_LOST = "The export stopped responding too many times. Please request a new archive."
table = JobTable(jobs)


class BuildCancelled(Exception):
    """The user asked to cancel; the heartbeat stops the build between batches."""


@dataclass(frozen=True)
class Claim:
    """Proof that this worker runs this attempt of this job."""

    job_id: uuid.UUID
    user_id: int
    attempt: int
    request_id: str | None
    selection: Selection  # what the job asked for, read by the claim itself

    def owned(self) -> sa.ColumnElement[bool]:
        """Match the row only while this attempt still holds it."""
        return table.owned(self.job_id, self.attempt)


def _closing(outcome: str, code: str | None = None) -> AfterChange:
    """Close the running attempt of every changed job; a failure is also counted by its code."""

    def close(conn: Connection, refs: list[JobRef]) -> None:
        """End each job's open attempt in the transition's transaction."""
        for ref in refs:
            if outcome == JobStatus.FAILED:
                attempts.failed(conn, ref.job_id, ref.user_id, code)
            else:
                attempts.end(conn, ref.job_id, ref.user_id, outcome, code)

    return close


def request(
    user_id: int,
    *,
    sending: bool = False,
    selection: dict[str, Any] | None = None,
    estimated_size: int | None = None,
) -> uuid.UUID | None:
    """queued: insert a new job; None when the user already has an active one (the index says).

    `sending`: the caller publishes the wake-up next, so the row says so at once (a commit fewer
    than mark_enqueued afterwards); if the publish fails, mark_unsent hands it to the sweeper.
    """
    job_id, now = uuid.uuid4(), utcnow()
    sent = now if sending else None
    try:
        with db.engine.begin() as conn:
            values = {"id": job_id, "user_id": user_id, "requested_at": now, "enqueued_at": sent}
            # No selection: the column's default, everything.
            values |= {
                "estimated_size": estimated_size,
                **({"selection": selection} if selection else {}),
            }
            conn.execute(sa.insert(jobs).values(**values, request_id=current_request_id()))
            table.events(conn, "archive_requested", [JobRef(job_id, user_id)])
    except IntegrityError:
        return None
    return job_id


def mark_enqueued(job_id: uuid.UUID) -> None:
    """Note when the wake-up was sent, so the sweeper waits its grace period (no state change)."""
    table.set_enqueued(job_id, utcnow())


def mark_unsent(job_id: uuid.UUID) -> None:
    """Forget a wake-up that was never published, so the next sweep sends it (no state change)."""
    table.set_enqueued(job_id, None)


def take_unsent(cutoff: datetime) -> list[JobRef]:
    """Mark queued jobs whose message is older than cutoff as sent now, and return them.

    Marked while locked: a second sweeper skips these rows instead of re-sending them. A
    publish that then fails is tried again after the grace period.
    """
    return table.change(table.locked(table.unsent(cutoff)), {"enqueued_at": utcnow()}, None)


def claim(user_id: int, lease_seconds: int) -> Claim | None:
    """queued -> running: take the user's queued job, or None when there is none to take.

    One statement finds and takes it: a racing worker that picked the same row finds it no
    longer queued when the row's lock frees, and takes nothing.
    """
    now = utcnow()
    queued = (
        sa.select(jobs.c.id)
        .where(jobs.c.user_id == user_id, jobs.c.status == JobStatus.QUEUED)
        .limit(1)
        .scalar_subquery()
    )
    with db.engine.begin() as conn:
        row = conn.execute(
            sa.update(jobs)
            .where(jobs.c.id == queued, jobs.c.status == JobStatus.QUEUED)
            .values(
                status=JobStatus.RUNNING,
                attempts=jobs.c.attempts + 1,
                phase="starting",
                lease_until=now + timedelta(seconds=lease_seconds),
                started_at=sa.func.coalesce(jobs.c.started_at, now),
            )
            .returning(
                jobs.c.id,
                jobs.c.attempts,
                jobs.c.requested_at,
                jobs.c.started_at,
                jobs.c.request_id,
                jobs.c.selection,
            )
        ).first()
        if row is None:
            return None
        table.events(conn, "archive_started", [JobRef(row.id, user_id)])
        # The queue wait ends at the first start only; retries do not start it again.
        waited_since = row.requested_at if row.started_at == now else None
        attempts.begin(conn, row.id, user_id, row.attempts, waited_since)
    return Claim(row.id, user_id, row.attempts, row.request_id, Selection.parse(row.selection))


class Heartbeat:
    """running -> running: writes progress and renews the lease at most once a second."""

    def __init__(
        self,
        claim: Claim,
        lease_seconds: int,
        time_limit: float | None = None,
        renewed: bool = False,
    ) -> None:
        """Remember the claim, the lease length and when the time limit runs out.

        `renewed`: the claim has just written the lease, so the first write can wait a second.
        """
        self.claim = claim
        self.lease_seconds = lease_seconds
        self._started = time.monotonic()
        self.deadline = self._started + time_limit if time_limit else None
        self._last = self._started if renewed else 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        """Report progress; raise when the build must stop (cancelled, too slow, lease lost)."""
        now = time.monotonic()
        if self.deadline is not None and now > self.deadline:
            # Stopping here, between batches, leaves every connection in a clean state.
            raise ArchiveError("time_limit", TIME_LIMIT_MESSAGE)
        quiet = now - self._last < HEARTBEAT_SECONDS
        # The last phases are worth a write of their own only on a build long enough to watch.
        shown = phase in ("finishing", "verifying") and now - self._started >= HEARTBEAT_SECONDS
        if quiet and not shown:
            return
        self._last = now
        claim = self.claim
        if table.beat(claim.job_id, claim.attempt, self.lease_seconds, phase, done, total):
            raise BuildCancelled(str(claim.job_id))


def succeed(claim: Claim, result: BuildResult, storage_key: str, ttl_seconds: int) -> bool:
    """running -> succeeded; False when this attempt no longer owns the job."""
    now = utcnow()
    continued = result.about.get("continues") or {}
    values = {
        "status": JobStatus.SUCCEEDED,
        "progress": 100,
        "phase": "done",
        "finished_at": now,
        "expires_at": now + timedelta(seconds=ttl_seconds),
        "storage_key": storage_key,
        "size": result.size,
        "sha256": result.sha256,
        "parts": chain.part_rows(storage_key, result.parts),
        "watermark": result.about.get("watermark"),
        "continues_id": uuid.UUID(continued["id"]) if continued else None,
        "continues_sha256": continued.get("sha256"),
        "lease_until": None,
        # A build quicker than a heartbeat never wrote its counts: the result has them.
        "items_done": result.items,
        "items_total": result.items,
        "error_code": None,
        "error": None,
        # The right to notify goes with the success itself: take_notification in the same commit.
        "notified_at": now,
    }

    def record_build(conn: Connection, _: list[JobRef]) -> None:
        """Close the attempt and observe the build's duration and bytes."""
        attempts.succeeded(conn, claim.job_id, claim.user_id, result.size)

    return bool(table.change(claim.owned(), values, "archive_succeeded", record_build))


def fail(claim: Claim, code: str, message: str) -> bool:
    """running -> failed, with a user-safe reason; False when the attempt lost the job."""
    values = ended(JobStatus.FAILED, code, message)
    return bool(
        table.change(claim.owned(), values, "archive_failed", _closing(JobStatus.FAILED, code))
    )


def cancel(claim: Claim) -> bool:
    """running -> cancelled: the worker saw the user's cancel flag and stopped."""
    values = ended(JobStatus.CANCELLED, None, None)
    closing = _closing(JobStatus.CANCELLED)
    return bool(table.change(claim.owned(), values, "archive_cancelled", closing))


def release(claim: Claim, max_attempts: int) -> bool:
    """running -> queued after a transient error, or -> failed when out of attempts.

    True when the job went back to the queue and so wants another wake-up.
    """
    if claim.attempt >= max_attempts:
        fail(claim, "retries_exhausted", RETRIES_EXHAUSTED)
        return False
    values = {**REQUEUED, "enqueued_at": utcnow()}
    return bool(table.change(claim.owned(), values, "archive_retrying", _closing("released")))


def requeue(now: datetime, max_attempts: int) -> list[JobRef]:
    """running -> queued for every job whose lease ran out with attempts left."""
    stale = sa.and_(table.stale(now), jobs.c.attempts < max_attempts)
    values = {**REQUEUED, "enqueued_at": None}
    return table.change(table.locked(stale), values, "archive_requeued", _closing("lost"))


def fail_lost(now: datetime, max_attempts: int) -> list[JobRef]:
    """running -> failed (worker_lost) for every job whose lease ran out on its last attempt."""
    lost = sa.and_(table.stale(now), jobs.c.attempts >= max_attempts)
    values = ended(JobStatus.FAILED, "worker_lost", WORKER_LOST)
    return table.change(
        table.locked(lost), values, "archive_failed", _closing(JobStatus.FAILED, "worker_lost")
    )


def request_cancel(job_id: uuid.UUID) -> JobStatus | None:
    """queued -> cancelled now; running: flag it for its worker. None when already final."""
    with db.engine.begin() as conn:
        flagged = conn.execute(
            sa.update(jobs)
            .where(jobs.c.id == job_id, jobs.c.status.in_(ACTIVE_STATES))
            .values(cancel_requested=True)
            .returning(jobs.c.user_id, jobs.c.status)
        ).first()
        if flagged is None:
            return None
        ref = [JobRef(job_id, flagged.user_id)]
        if flagged.status == JobStatus.QUEUED:
            conn.execute(
                sa.update(jobs)
                .where(jobs.c.id == job_id, jobs.c.status == JobStatus.QUEUED)
                .values(**ended(JobStatus.CANCELLED, None, None))
            )
            table.events(conn, "archive_cancelled", ref)
            return JobStatus.CANCELLED
        # A running build records archive_cancelled itself when its worker stops.
        table.events(conn, "archive_cancel_requested", ref)
        return JobStatus.RUNNING


def retry(job_id: uuid.UUID) -> bool:
    """failed | cancelled -> queued (an admin's retry), with a fresh attempt budget.

    False when the job is in another state or its owner already has an active job.
    """
    values = {
        **REQUEUED,
        "attempts": 0,
        "progress": 0,
        "items_done": 0,
        "error_code": None,
        "error": None,
        "cancel_requested": False,
        "finished_at": None,
        "notified_at": None,
        "enqueued_at": None,
        "request_id": current_request_id(),
    }
    retryable = sa.and_(
        jobs.c.id == job_id, jobs.c.status.in_((JobStatus.FAILED, JobStatus.CANCELLED))
    )
    try:
        return bool(table.change(retryable, values, "archive_retried"))
    except IntegrityError:
        return False


def expire(now: datetime) -> list[tuple[JobRef, list[str]]]:
    """succeeded -> expired for every archive past its expiry; returns the files to remove."""
    with db.engine.begin() as conn:
        due = conn.execute(
            sa.select(jobs.c.id, jobs.c.user_id, jobs.c.storage_key, jobs.c.parts)
            .where(jobs.c.status == JobStatus.SUCCEEDED, jobs.c.expires_at <= now)
            .with_for_update(skip_locked=True)
        ).all()
        if due:
            conn.execute(
                sa.update(jobs)
                .where(jobs.c.id.in_([row.id for row in due]))
                .values(status=JobStatus.EXPIRED, phase=JobStatus.EXPIRED.value, storage_key=None)
            )
        refs = [JobRef(row.id, row.user_id) for row in due]
        table.events(conn, "archive_expired", refs)
    return [
        (ref, chain.stored_keys(row.storage_key, row.parts))
        for ref, row in zip(refs, due, strict=True)
    ]


def expire_lost(job_id: uuid.UUID, storage_key: str) -> bool:
    """succeeded -> expired for an archive whose object the orphan check found gone."""
    lost = sa.and_(
        jobs.c.id == job_id,
        jobs.c.status == JobStatus.SUCCEEDED,
        jobs.c.storage_key == storage_key,
    )
    values = {"status": JobStatus.EXPIRED, "phase": JobStatus.EXPIRED.value, "storage_key": None}
    return bool(table.change(lost, values, "archive_lost"))


def delete(job_id: uuid.UUID) -> tuple[bool, list[str]]:
    """final -> gone: remove the row; returns whether it went and the files to remove."""
    with db.engine.begin() as conn:
        row = conn.execute(
            sa.delete(jobs)
            .where(jobs.c.id == job_id, jobs.c.status.in_(FINAL_STATES))
            .returning(jobs.c.user_id, jobs.c.storage_key, jobs.c.parts)
        ).first()
        if row is None:
            return False, []
        table.events(conn, "archive_deleted", [JobRef(job_id, row.user_id)])
    return True, chain.stored_keys(row.storage_key, row.parts)


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
