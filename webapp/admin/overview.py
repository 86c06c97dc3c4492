"""The queue at a glance, as one dict the dashboard page and its JSON poll both render."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import sqlalchemy as sa

from webapp.archives.attempts import ArchiveAttempt
from webapp.archives.models import ArchiveJob, JobStatus
from webapp.archives.serialize import iso
from webapp.auth.models import User
from webapp.extensions import db
from webapp.ops import jobstats


def running_jobs(limit: int = 50) -> list[dict[str, Any]]:
    """Running jobs with their owner, live progress and the worker of the current attempt."""
    worker = (
        sa.select(ArchiveAttempt.worker)
        .where(ArchiveAttempt.job_id == ArchiveJob.id, ArchiveAttempt.finished_at.is_(None))
        .order_by(ArchiveAttempt.started_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(ArchiveJob, User.email, worker)
        .join(User)
        .where(ArchiveJob.status == JobStatus.RUNNING)
        .order_by(ArchiveJob.started_at)
        .limit(limit)
    ).all()
    return [
        {
            "id": str(job.id),
            "email": email,
            "progress": job.progress,
            "phase": job.phase,
            "items_done": job.items_done,
            "items_total": job.items_total,
            "attempt": job.attempts,
            "worker": worker_name,
            "started_at": iso(job.started_at),
        }
        for job, email, worker_name in rows
    ]


def overview() -> dict[str, Any]:
    """Depth per queue, oldest wait, states, running jobs, outcomes of the last hour and day."""
    windows = {
        name: {**asdict(outcome), "failure_rate": round(outcome.failure_rate, 4)}
        for name, outcome in jobstats.recent_outcomes().items()
    }
    return {
        "queues": jobstats.queue_depths(),
        "oldest_queued_seconds": round(jobstats.oldest_queued_seconds(), 1),
        "statuses": jobstats.counts_by_status(),
        "running": running_jobs(),
        "windows": windows,
    }
