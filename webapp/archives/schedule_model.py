"""A user's repeating export: how often, what, until when, and when it runs next."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.types import UTCDateTime, utcnow

EVERY_MONTHS = (1, 2, 3)
YEAR_MONTHS = 12


class ArchiveSchedule(db.Model):  # type: ignore[name-defined,misc]
    """At most one per user; beat requests an archive whenever next_run_at has passed."""

    __tablename__ = "archive_schedules"
    __table_args__ = (
        sa.CheckConstraint("every_months IN (1, 2, 3)", name="every_months_known"),
        sa.Index("ix_archive_schedules_next_run_at", "next_run_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    every_months: so.Mapped[int] = so.mapped_column()
    selection: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON)
    starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    ends_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    next_run_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    last_run_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    runs: so.Mapped[int] = so.mapped_column(default=0)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
