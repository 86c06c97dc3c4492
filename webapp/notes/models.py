"""The user's own data: notes and uploaded files."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.extensions import db
from webapp.types import UTCDateTime, utcnow


class Note(db.Model):  # type: ignore[name-defined,misc]
    """A titled piece of text a user keeps."""

    __tablename__ = "notes"
    __table_args__ = (
        sa.Index("ix_notes_user_id_id", "user_id", "id"),
        sa.Index("uq_notes_source", "user_id", "source_sha256", "source_id", unique=True),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    body: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    # Where an imported record came from (the archive's SHA-256, its id there): one copy each.
    source_sha256: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    source_id: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    change_seq: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)  # see watermark.py


class Attachment(db.Model):  # type: ignore[name-defined,misc]
    """An uploaded file; the original name is metadata, the bytes live under storage_key."""

    __tablename__ = "attachments"
    __table_args__ = (
        sa.Index("ix_attachments_user_id_id", "user_id", "id"),
        sa.Index("uq_attachments_source", "user_id", "source_sha256", "source_id", unique=True),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    original_name: so.Mapped[str] = so.mapped_column(sa.String(255))
    storage_key: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    size: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    content_type: so.Mapped[str] = so.mapped_column(sa.String(255))
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    # Taken in the same pass as sha256, so a stored ZIP member needs no pre-pass for its header.
    # Null only for a row whose file was already missing when 0002_storage backfilled it.
    crc32: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    # Where an imported file came from (the archive's SHA-256, its id there): one copy each.
    source_sha256: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    source_id: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    change_seq: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)  # see watermark.py
