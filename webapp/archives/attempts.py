"""Each build attempt of a job: which worker ran it, when, and how it ended (the timeline)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
import structlog
from sqlalchemy.engine import Connection

from webapp.extensions import db
from webapp.ops import metrics
from webapp.ops.context import worker_name
from webapp.types import UTCDateTime, utcnow

log = structlog.get_logger(__name__)


class ArchiveAttempt(db.Model):  # type: ignore[name-defined,misc]
    """One claim of a job by a worker, from start to its outcome."""

    __tablename__ = "archive_attempts"
    __table_args__ = (sa.Index("ix_archive_attempts_job_id_started_at", "job_id", "started_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    job_id: so.Mapped[uuid.UUID] = so.mapped_column(
        sa.ForeignKey("archive_jobs.id", ondelete="CASCADE")
    )
    attempt: so.Mapped[int]
    worker: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    started_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    finished_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # succeeded, failed, cancelled, released (a transient error), lost (lease expired)
    outcome: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    error_code: so.Mapped[str | None] = so.mapped_column(sa.String(40))

    @property
    def seconds(self) -> float | None:
        """How long the attempt ran, once it ended."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


attempts = ArchiveAttempt.__table__


def begin(
    conn: Connection,
    job_id: uuid.UUID,
    user_id: int,
    attempt: int,
    waited_since: datetime | None,
) -> None:
    """Record a claim in the claim's transaction; `waited_since` ends the job's queue wait."""
    now, worker = utcnow(), worker_name()
    conn.execute(
        sa.insert(attempts).values(job_id=job_id, attempt=attempt, worker=worker, started_at=now)
    )
    log.info("attempt started", job_id=str(job_id), user_id=user_id, attempt=attempt, worker=worker)
    if waited_since is not None:
        metrics.started(waited_since, now)


def end(
    conn: Connection, job_id: uuid.UUID, user_id: int, outcome: str, error_code: str | None = None
) -> datetime | None:
    """Close the job's open attempt with its outcome; return when it started (None if none).

    A job holds at most one open attempt: every way out of running closes it, and a stale
    worker's later writes are fenced off before they get here.
    """
    row = conn.execute(
        sa.update(attempts)
        .where(attempts.c.job_id == job_id, attempts.c.finished_at.is_(None))
        .values(finished_at=utcnow(), outcome=outcome, error_code=error_code)
        .returning(attempts.c.attempt, attempts.c.started_at)
    ).first()
    log.info(
        "attempt ended",
        job_id=str(job_id),
        user_id=user_id,
        attempt=row.attempt if row else None,
        outcome=outcome,
        error_code=error_code,
    )
    return row.started_at if row else None


def succeeded(conn: Connection, job_id: uuid.UUID, user_id: int, size: int) -> None:
    """Close a successful attempt and observe its duration and bytes."""
    now = utcnow()
    metrics.succeeded(end(conn, job_id, user_id, "succeeded") or now, now, size)


def failed(conn: Connection, job_id: uuid.UUID, user_id: int, error_code: str | None) -> None:
    """Close a failed attempt and count the job's failure by its code."""
    end(conn, job_id, user_id, "failed", error_code)
    metrics.failed(error_code)


def of_job(job_id: uuid.UUID) -> list[ArchiveAttempt]:
    """Every attempt of a job, oldest first."""
    return list(
        db.session.scalars(
            sa.select(ArchiveAttempt)
            .where(ArchiveAttempt.job_id == job_id)
            .order_by(ArchiveAttempt.started_at, ArchiveAttempt.id)
        )
    )
