"""One job's story for an admin: requested, each attempt with worker and duration, retries, end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from webapp.archives.attempts import of_job
from webapp.archives.models import ArchiveJob
from webapp.auth.models import ActivityEvent
from webapp.extensions import db

# Activity kinds that belong on a job's timeline and how an admin reads them.
EVENT_LABELS = {
    "archive_requested": "Requested",
    "admin_export_requested": "Requested on the user's behalf",
    "admin_retry": "Retried by an admin",
    "admin_cancel": "Cancel requested by an admin",
    "archive_cancel_requested": "Cancel requested by the user",
    "archive_downloaded": "Downloaded",
    "archive_deleted": "Deleted",
}


@dataclass(frozen=True)
class Entry:
    """A moment in the job's life."""

    at: datetime
    what: str
    detail: str = ""
    worker: str | None = None
    seconds: float | None = None


def _events(job: ArchiveJob) -> list[Entry]:
    """The job's activity events (their detail starts with the job id)."""
    job_id = str(job.id)
    events = db.session.scalars(
        sa.select(ActivityEvent)
        .where(
            ActivityEvent.user_id == job.user_id,
            sa.or_(ActivityEvent.detail == job_id, ActivityEvent.detail.startswith(job_id + " ")),
            ActivityEvent.kind.in_(EVENT_LABELS),
        )
        .order_by(ActivityEvent.id)
    )
    return [
        Entry(
            event.created_at, EVENT_LABELS[event.kind], (event.detail or "")[len(job_id) :].strip()
        )
        for event in events
    ]


def _who(detail: str, job_id: str) -> str:
    """What an event's detail adds after the job id: "by <admin>" for admin actions."""
    return detail[len(job_id) :].strip()


def timeline(job: ArchiveJob) -> list[Entry]:
    """Every known moment of the job, in order."""
    entries = _events(job)
    for attempt in of_job(job.id):
        outcome = attempt.outcome or "running"
        if attempt.error_code:
            outcome += f" ({attempt.error_code})"
        entries.append(
            Entry(
                attempt.started_at,
                f"Attempt {attempt.attempt}",
                outcome,
                attempt.worker,
                attempt.seconds,
            )
        )
    if job.finished_at is not None:
        detail = job.error or (f"{job.size} bytes, sha256 {job.sha256}" if job.sha256 else "")
        entries.append(Entry(job.finished_at, f"Ended {job.status}", detail))
    return sorted(entries, key=lambda entry: entry.at)
