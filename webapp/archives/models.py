"""The archive job row: the one source of truth about an export."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.archives.selection import Selection
from webapp.extensions import db
from webapp.types import StrEnumType, UTCDateTime, utcnow, values_sql


class JobStatus(StrEnum):
    """Where a job is: queued -> running -> succeeded | failed | cancelled; succeeded -> expired."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


ACTIVE_STATES = (JobStatus.QUEUED, JobStatus.RUNNING)
FINAL_STATES = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.EXPIRED)
_ACTIVE_SQL = sa.text(f"status IN ({values_sql(ACTIVE_STATES)})")
EVERYTHING = json.dumps(Selection.everything().to_json())


class JobRow:
    """The columns and rules every job table shares: its state, lease, progress and outcome."""

    id: so.Mapped[uuid.UUID] = so.mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    status: so.Mapped[JobStatus] = so.mapped_column(
        StrEnumType(JobStatus, 16), default=JobStatus.QUEUED
    )
    progress: so.Mapped[int] = so.mapped_column(default=0)
    phase: so.Mapped[str] = so.mapped_column(sa.String(32), default="waiting")
    items_done: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    items_total: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    lease_until: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    cancel_requested: so.Mapped[bool] = so.mapped_column(default=False)
    error_code: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    requested_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    enqueued_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    started_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    finished_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    @property
    def ready(self) -> bool:
        """Tell pollers a final state was reached (the seed's contract)."""
        return self.status in FINAL_STATES


def job_table_args(table: str) -> tuple[sa.CheckConstraint, sa.Index, sa.Index, sa.Index]:
    """A job table's constraint and indexes; one active job per user, settled by the database."""
    return (
        sa.CheckConstraint(f"status IN ({values_sql(JobStatus)})", name="status_known"),
        sa.Index(
            f"uq_{table}_one_active_per_user",
            "user_id",
            unique=True,
            postgresql_where=_ACTIVE_SQL,
            sqlite_where=_ACTIVE_SQL,
        ),
        sa.Index(f"ix_{table}_user_id_requested_at", "user_id", "requested_at"),
        sa.Index(f"ix_{table}_status", "status"),
    )


class ArchiveJob(JobRow, db.Model):  # type: ignore[name-defined,misc]
    """One requested export and everything known about its progress and outcome."""

    __tablename__ = "archive_jobs"
    __table_args__ = job_table_args(__tablename__)

    expires_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    notified_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    storage_key: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    size: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    sha256: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    # The web request that asked for the latest run (request or retry), so its worker's log
    # lines carry the same id whichever message woke the worker.
    request_id: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    # Every ZIP of the archive: [{"index", "storage_key", "size", "sha256"}]; index 0 is the
    # root (the archive itself, or the index part that lists the others).
    parts: so.Mapped[list[dict[str, Any]] | None] = so.mapped_column(sa.JSON)
    # As of which moment this archive is complete: an opaque token of the build's snapshot.
    watermark: so.Mapped[str | None] = so.mapped_column(sa.Text)
    continues_id: so.Mapped[uuid.UUID | None] = so.mapped_column(sa.Uuid)
    continues_sha256: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    # What the user chose to export (selection.py); rows from before selections hold everything.
    selection: so.Mapped[dict[str, Any]] = so.mapped_column(
        sa.JSON,
        default=lambda: Selection.everything().to_json(),
        server_default=sa.text(f"'{EVERYTHING}'"),
    )
    # Rows plus file bytes, estimated from indexed sums when requested; it picks the queue.
    estimated_size: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)

    @property
    def is_downloadable(self) -> bool:
        """Tell whether the job's file can still be fetched."""
        return (
            self.status == JobStatus.SUCCEEDED
            and self.storage_key is not None
            and self.expires_at is not None
            and self.expires_at > utcnow()
        )
