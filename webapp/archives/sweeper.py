"""Recovery from lost messages and dead workers, and removal of what has expired."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from webapp.archives import enqueue, notify, storage
from webapp.archives.models import EXPIRED, FAILED, QUEUED, RUNNING, SUCCEEDED, ArchiveJob
from webapp.extensions import db
from webapp.types import utcnow

jobs = ArchiveJob.__table__
WORKER_LOST = "The export stopped responding too many times. Please request a new archive."


@dataclass(frozen=True)
class SweepReport:
    """What one sweep changed."""

    requeued: int
    failed: int
    enqueued: int


@dataclass(frozen=True)
class PurgeReport:
    """What one purge removed."""

    expired: int
    temp_files: int


def sweep() -> SweepReport:
    """Requeue jobs whose lease ran out, fail those out of attempts, re-send lost messages."""
    now = utcnow()
    max_attempts = int(current_app.config["ARCHIVE_MAX_ATTEMPTS"])
    requeued = failed = 0
    with db.engine.begin() as conn:
        stale = conn.execute(
            sa.select(jobs.c.id, jobs.c.attempts)
            .where(jobs.c.status == RUNNING, jobs.c.lease_until < now)
            .with_for_update(skip_locked=True)
        ).all()
        for job_id, attempts in stale:
            if attempts >= max_attempts:
                conn.execute(
                    sa.update(jobs)
                    .where(jobs.c.id == job_id)
                    .values(
                        status=FAILED,
                        phase=FAILED,
                        finished_at=now,
                        lease_until=None,
                        error_code="worker_lost",
                        error=WORKER_LOST,
                    )
                )
                storage.remove_partials(job_id)  # no attempt will come back for them
                failed += 1
            else:
                conn.execute(
                    sa.update(jobs)
                    .where(jobs.c.id == job_id)
                    .values(status=QUEUED, phase="waiting", lease_until=None, enqueued_at=None)
                )
                requeued += 1
    if failed:
        _notify_worker_lost()
    return SweepReport(requeued, failed, _enqueue_waiting())


def _enqueue_waiting() -> int:
    """Re-send messages for queued jobs that no worker took within the grace period."""
    cutoff = utcnow() - timedelta(seconds=int(current_app.config["ARCHIVE_QUEUED_GRACE"]))
    with db.engine.begin() as conn:
        waiting = conn.execute(
            sa.select(jobs.c.id, jobs.c.user_id)
            .where(
                jobs.c.status == QUEUED,
                sa.or_(jobs.c.enqueued_at.is_(None), jobs.c.enqueued_at < cutoff),
            )
            .with_for_update(skip_locked=True)
        ).all()
        # Marked while locked: a second sweeper skips these rows instead of re-sending them.
        # A publish that then fails is tried again after the grace period.
        if waiting:
            conn.execute(
                sa.update(jobs)
                .where(jobs.c.id.in_([job_id for job_id, _ in waiting]))
                .values(enqueued_at=utcnow())
            )
    return sum(enqueue.publish(job_id, user_id) for job_id, user_id in waiting)


def _notify_worker_lost() -> None:
    """Tell the owners of jobs the sweeper gave up on."""
    unnotified = db.session.scalars(
        sa.select(ArchiveJob.id).where(
            ArchiveJob.status == FAILED,
            ArchiveJob.error_code == "worker_lost",
            ArchiveJob.notified_at.is_(None),
        )
    ).all()
    for job_id in unnotified:
        notify.job_finished(job_id)


def purge() -> PurgeReport:
    """Delete expired archives' files, mark them expired, and drop orphaned temp files."""
    now = utcnow()
    with db.engine.begin() as conn:
        due = conn.execute(
            sa.select(jobs.c.id, jobs.c.storage_key)
            .where(jobs.c.status == SUCCEEDED, jobs.c.expires_at <= now)
            .with_for_update(skip_locked=True)
        ).all()
        for job_id, key in due:
            storage.remove(key)
            conn.execute(
                sa.update(jobs)
                .where(jobs.c.id == job_id)
                .values(status=EXPIRED, phase=EXPIRED, storage_key=None)
            )
    oldest = time.time() - int(current_app.config["ARCHIVE_TIME_LIMIT"])
    removed = 0
    for partial in storage.archive_dir().glob(".*.partial"):
        if partial.stat().st_mtime < oldest:
            partial.unlink(missing_ok=True)
            removed += 1
    return PurgeReport(len(due), removed)
