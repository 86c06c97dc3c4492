"""Accounts and their activity trail."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin

from webapp.extensions import db
from webapp.types import UTCDateTime, utcnow


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    """A person who keeps data in Keepsake."""

    __tablename__ = "users"
    __table_args__ = (sa.CheckConstraint("email = lower(email)", name="email_lowercase"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    display_name: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    is_admin: so.Mapped[bool] = so.mapped_column(default=False)
    session_version: so.Mapped[int] = so.mapped_column(default=1)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    last_login_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # Set when the owner (or an admin) closed the account: erased at this moment unless cancelled.
    erase_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    def get_id(self) -> str:
        """Bind the login to the session version so logout can void copied cookies."""
        return f"{self.id}:{self.session_version}"


class ActivityEvent(db.Model):  # type: ignore[name-defined,misc]
    """Something that happened to an account: a login, an archive, a logout."""

    __tablename__ = "activity_events"
    __table_args__ = (
        sa.Index("ix_activity_events_user_id_id", "user_id", "id"),
        # The archive cooldown and daily budget read events by kind and time.
        sa.Index("ix_activity_events_user_id_kind_created_at", "user_id", "kind", "created_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Null only for the audit record an erased account leaves behind.
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(40))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    ip: so.Mapped[str | None] = so.mapped_column(sa.String(45))
    user_agent: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    detail: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    change_seq: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)  # see watermark.py
