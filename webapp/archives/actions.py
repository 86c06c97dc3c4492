"""What users and admins do to archive jobs, shared by the pages, the API and the CLI."""

from __future__ import annotations

import math
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from webapp.archives import enqueue, storage, transitions
from webapp.archives.models import ACTIVE_STATES, ArchiveJob, JobStatus
from webapp.extensions import db
from webapp.types import utcnow


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
            ArchiveJob.user_id == user_id, ArchiveJob.status == JobStatus.SUCCEEDED
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
    job_id = transitions.request(user_id, sending=enqueue_message)
    if job_id is None:
        # A concurrent request won the one-active-job index: answer with its job.
        winner = active_job(user_id)
        if winner is None:
            raise LookupError(f"no active job for user {user_id} after a refused request")
        return winner, False
    if enqueue_message and not enqueue.publish(job_id, user_id):
        transitions.mark_unsent(job_id)
    return _reloaded(job_id), True


def _reloaded(job_id: object) -> ArchiveJob:
    """Read a job as the last transition left it."""
    job = db.session.get(ArchiveJob, job_id, populate_existing=True)
    if job is None:
        raise LookupError(f"job {job_id} vanished")
    return job


def cancel(job: ArchiveJob) -> bool:
    """Cancel a queued job now, or flag a running one for its worker; False if finished."""
    outcome = transitions.request_cancel(job.id)
    db.session.refresh(job)
    return outcome is not None


def delete(job: ArchiveJob) -> bool:
    """Remove a finished job, then its file; False while it is still active."""
    deleted, storage_keys = transitions.delete(job.id)
    if not deleted:
        return False
    db.session.expunge(job)
    for storage_key in storage_keys:
        storage.remove(storage_key)
    return True


def retry(job: ArchiveJob) -> bool:
    """Put a failed or cancelled job back in the queue (admin); False if not possible."""
    if not transitions.retry(job.id):
        return False
    enqueue.send(job.id, job.user_id)
    db.session.refresh(job)
    return True
