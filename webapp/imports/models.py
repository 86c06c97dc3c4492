"""The import job row: the one source of truth about an import, as archive_jobs is for exports."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.archives.models import ACTIVE_STATES, FINAL_STATES, JobStatus
from webapp.extensions import db
from webapp.types import StrEnumType, UTCDateTime, utcnow, values_sql

_ACTIVE_SQL = sa.text(f"status IN ({values_sql(ACTIVE_STATES)})")
SECTIONS = ("notes", "files")


class ImportJob(db.Model):  # type: ignore[name-defined,misc]
    """One uploaded archive being checked and added to its owner's account."""

    __tablename__ = "import_jobs"
    __table_args__ = (
        sa.CheckConstraint(f"status IN ({values_sql(JobStatus)})", name="status_known"),
        # One active import per user, settled by the database as for archives.
        sa.Index(
            "uq_import_jobs_one_active_per_user",
            "user_id",
            unique=True,
            postgresql_where=_ACTIVE_SQL,
            sqlite_where=_ACTIVE_SQL,
        ),
        sa.Index("ix_import_jobs_user_id_requested_at", "user_id", "requested_at"),
        sa.Index("ix_import_jobs_status", "status"),
    )

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
    # The uploaded archive, kept until the job ends.
    upload_key: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    size: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    # What the checked manifest said (null until the check passes).
    source_format: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    source_version: so.Mapped[int | None] = so.mapped_column()
    source_email: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    added_notes: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    added_files: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    skipped_notes: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    skipped_files: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)

    @property
    def ready(self) -> bool:
        """Tell pollers a final state was reached."""
        return self.status in FINAL_STATES
