"""What users and admins do to archive jobs, shared by the pages, the API and the CLI."""

from __future__ import annotations

import math
import uuid
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from webapp.archives import enqueue, storage
from webapp.archives.models import (
    ACTIVE_STATES,
    CANCELLED,
    FINAL_STATES,
    QUEUED,
    SUCCEEDED,
    ArchiveJob,
)
from webapp.auth.activity import record
from webapp.extensions import db
from webapp.types import utcnow

jobs = ArchiveJob.__table__


class CooldownActive(Exception):
    """A recent archive succeeded; the next may be requested after retry_after seconds."""

    def __init__(self, retry_after: int) -> None:
        """Keep the wait so the answer can carry Retry-After."""
        super().__init__(retry_after)
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        """Say when the next request is possible, in words a person can act on."""
        minutes = max(1, round(self.retry_after / 60))
        plural = "s" if minutes != 1 else ""
        return (
            "You made an archive recently; "
            f"you can request another in about {minutes} minute{plural}."
        )


def active_job(user_id: int) -> ArchiveJob | None:
    """Return the user's queued or running job, if any."""
    return db.session.scalar(
        sa.select(ArchiveJob).where(
            ArchiveJob.user_id == user_id, ArchiveJob.status.in_(ACTIVE_STATES)
        )
    )


def recent_jobs(user_id: int, limit: int = 100) -> list[ArchiveJob]:
    """Return the user's newest jobs first."""
    return list(
        db.session.scalars(
            sa.select(ArchiveJob)
            .where(ArchiveJob.user_id == user_id)
            .order_by(ArchiveJob.requested_at.desc())
            .limit(limit)
        )
    )


def cooldown_remaining(user_id: int) -> int:
    """Seconds until the user may request again after their latest success."""
    latest = db.session.scalar(
        sa.select(sa.func.max(ArchiveJob.finished_at)).where(
            ArchiveJob.user_id == user_id, ArchiveJob.status == SUCCEEDED
        )
    )
    if latest is None:
        return 0
    ready_at = latest + timedelta(seconds=int(current_app.config["ARCHIVE_COOLDOWN"]))
    return max(0, math.ceil((ready_at - utcnow()).total_seconds()))


def request_archive(
    user_id: int, *, ignore_cooldown: bool = False, enqueue_message: bool = True
) -> tuple[ArchiveJob, bool]:
    """Queue an archive (True) or return the one already active (False)."""
    existing = active_job(user_id)
    if existing is not None:
        return existing, False
    wait = 0 if ignore_cooldown else cooldown_remaining(user_id)
    if wait:
        raise CooldownActive(wait)
    job = ArchiveJob(id=uuid.uuid4(), user_id=user_id, status=QUEUED, requested_at=utcnow())
    db.session.add(job)
    record(user_id, "archive_requested", str(job.id))
    try:
        db.session.commit()
    except IntegrityError:
        # A concurrent request won the one-active-job index: answer with its job.
        db.session.rollback()
        winner = active_job(user_id)
        if winner is None:
            raise
        return winner, False
    if enqueue_message:
        enqueue.send(job.id, user_id)
    return job, True


def cancel(job: ArchiveJob) -> bool:
    """Cancel a queued job now, or flag a running one for its worker; False if finished."""
    with db.engine.begin() as conn:
        flagged = conn.execute(
            sa.update(jobs)
            .where(jobs.c.id == job.id, jobs.c.status.in_(ACTIVE_STATES))
            .values(cancel_requested=True)
        ).rowcount
        stopped_now = conn.execute(
            sa.update(jobs)
            .where(jobs.c.id == job.id, jobs.c.status == QUEUED)
            .values(status=CANCELLED, phase=CANCELLED, finished_at=utcnow())
        ).rowcount
    if flagged:
        # A running build records archive_cancelled itself when its worker stops.
        kind = "archive_cancelled" if stopped_now else "archive_cancel_requested"
        record(job.user_id, kind, str(job.id))
        db.session.commit()
    db.session.refresh(job)
    return bool(flagged)


def delete(job: ArchiveJob) -> bool:
    """Remove a finished job and its file; False while it is still active."""
    if job.status not in FINAL_STATES:
        return False
    storage.remove(job.storage_key)
    record(job.user_id, "archive_deleted", str(job.id))
    db.session.delete(job)
    db.session.commit()
    return True


def retry(job: ArchiveJob) -> bool:
    """Put a failed or cancelled job back in the queue (admin); False if not possible."""
    if job.status in ACTIVE_STATES or job.status == SUCCEEDED:
        return False
    job.status, job.phase, job.attempts, job.progress = QUEUED, "waiting", 0, 0
    job.error_code = job.error = None
    job.cancel_requested, job.finished_at, job.lease_until = False, None, None
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    enqueue.send(job.id, job.user_id)
    return True


def is_downloadable(job: ArchiveJob) -> bool:
    """Tell whether the job's file can still be fetched."""
    return (
        job.status == SUCCEEDED
        and job.storage_key is not None
        and job.expires_at is not None
        and job.expires_at > utcnow()
    )
