"""What users and admins do to archive jobs, shared by the pages, the API and the CLI."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from webapp.archives import enqueue, queues, storage, transitions
from webapp.archives.estimate import estimate
from webapp.archives.models import ACTIVE_STATES, ArchiveJob
from webapp.archives.rows import reloaded
from webapp.archives.selection import Selection
from webapp.auth.models import ActivityEvent
from webapp.extensions import db
from webapp.types import utcnow

DAY = timedelta(days=1)
# Requests that lose the one-active-job race to jobs already ended before one answers.
RACE_TRIES = 3


class RequestRefused(Exception):
    """A request the limits refuse for now; the next may come after retry_after seconds."""

    code = "refused"

    def __init__(self, retry_after: int) -> None:
        """Keep the wait so the answer can carry Retry-After."""
        super().__init__(retry_after)
        self.retry_after = retry_after

    @property
    def wait(self) -> str:
        """The wait in words a person can act on."""
        minutes = max(1, round(self.retry_after / 60))
        if minutes > 90:
            return f"about {round(minutes / 60)} hours"
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"

    @property
    def message(self) -> str:
        """Say when the next request is possible."""
        return f"You can request another archive in {self.wait}."


class CooldownActive(RequestRefused):
    """A recent archive succeeded (deleting it since changes nothing)."""

    code = "cooldown"

    @property
    def message(self) -> str:
        """Say when the next request is possible, and why."""
        return f"You made an archive recently; you can request another in {self.wait}."


class DailyLimitReached(RequestRefused):
    """ARCHIVE_REQUESTS_PER_DAY requests in the last 24 hours, whatever became of them."""

    code = "daily_limit"

    @property
    def message(self) -> str:
        """Say what the limit is and when it lifts."""
        limit = int(current_app.config["ARCHIVE_REQUESTS_PER_DAY"])
        return (
            f"You have requested {limit} archives in the last 24 hours, the most allowed; "
            f"you can request another in {self.wait}."
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


def _events(user_id: int, kind: str) -> sa.Select[datetime]:
    """The times of one kind of the user's activity events: the trail outlives deleted jobs."""
    return sa.select(ActivityEvent.created_at).where(
        ActivityEvent.user_id == user_id, ActivityEvent.kind == kind
    )


def _seconds_until(moment: datetime) -> int:
    """Whole seconds from now until moment, never negative."""
    return max(0, math.ceil((moment - utcnow()).total_seconds()))


def cooldown_remaining(user_id: int) -> int:
    """Seconds until the user may request again after their latest success, deleted or not."""
    latest = db.session.scalar(
        _events(user_id, "archive_succeeded").order_by(ActivityEvent.created_at.desc()).limit(1)
    )
    if latest is None:
        return 0
    return _seconds_until(latest + timedelta(seconds=int(current_app.config["ARCHIVE_COOLDOWN"])))


def daily_budget_remaining(user_id: int) -> int:
    """Seconds until the user's requests of the last day fall under ARCHIVE_REQUESTS_PER_DAY.

    Every request counts, cancelled or deleted, except those that failed: every failure is
    Keepsake's own (a lost worker, a store outage), and the user must not pay for it.
    """
    limit = int(current_app.config["ARCHIVE_REQUESTS_PER_DAY"])
    failed = sa.select(ActivityEvent.detail).where(
        ActivityEvent.user_id == user_id,
        ActivityEvent.kind == "archive_failed",
        ActivityEvent.detail.is_not(None),
    )
    counted = list(
        db.session.scalars(
            _events(user_id, "archive_requested")
            .where(ActivityEvent.created_at > utcnow() - DAY, ActivityEvent.detail.not_in(failed))
            .order_by(ActivityEvent.created_at.desc())
            .limit(limit)
        )
    )
    if len(counted) < limit:
        return 0
    return _seconds_until(counted[-1] + DAY)


def _refuse_over_limits(user_id: int) -> None:
    """Raise when the cooldown or the daily budget forbids a new request now."""
    wait = cooldown_remaining(user_id)
    if wait:
        raise CooldownActive(wait)
    wait = daily_budget_remaining(user_id)
    if wait:
        raise DailyLimitReached(wait)


def request_archive(
    user_id: int,
    *,
    ignore_cooldown: bool = False,
    enqueue_message: bool = True,
    selection: Selection | None = None,
) -> tuple[ArchiveJob, bool]:
    """Queue an archive of the selection (True) or return the one already active (False)."""
    chosen = selection or Selection.everything()
    for _ in range(RACE_TRIES):
        outcome = _request_once(user_id, chosen, ignore_cooldown, enqueue_message)
        if outcome is not None:
            return outcome
    raise LookupError(f"user {user_id}'s requests kept losing to jobs that ended at once")


def _request_once(
    user_id: int, selection: Selection, ignore_cooldown: bool, enqueue_message: bool
) -> tuple[ArchiveJob, bool] | None:
    """One try; None when a concurrent request won and its job has already ended."""
    existing = active_job(user_id)
    if existing is not None:
        return existing, False
    if not ignore_cooldown:
        _refuse_over_limits(user_id)
    # Indexed sums on the session's connection: shown to the user, and it picks the queue.
    preview = int(current_app.config["ARCHIVE_PREVIEW_BYTES"])
    estimated = estimate(db.session.connection(), user_id, selection, preview).bytes
    # End the session's reads so its connection returns to the pool before the insert takes
    # one: twenty racing requests must not each hold one connection while waiting for another.
    db.session.commit()
    job_id = transitions.request(
        user_id,
        sending=enqueue_message,
        selection=selection.to_json(),
        estimated_size=estimated,
    )
    if job_id is None:
        # A concurrent request won the one-active-job index: answer with its job. A small one
        # may have been built already; then try again, and the limits count it.
        winner = active_job(user_id)
        return None if winner is None else (winner, False)
    if enqueue_message and not enqueue.publish(job_id, user_id, queues.queue_for(estimated)):
        transitions.mark_unsent(job_id)
    return reloaded(ArchiveJob, job_id), True


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
