"""The user's own data: notes and uploaded files."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from webapp.extensions import db
from webapp.types import UTCDateTime, utcnow


class note_bytes(FunctionElement[int]):  # noqa: N801  (used like a SQL function)
    """Bytes of a note's title and body in UTF-8, spelled the way each database spells it."""

    type = sa.Integer()
    inherit_cache = True


@compiles(note_bytes)
def _note_bytes(element: note_bytes, compiler: Any, **kw: Any) -> str:
    """PostgreSQL's spelling, exactly as it reflects the generated column back."""
    return "octet_length((title)::text) + octet_length(body)"


@compiles(note_bytes, "sqlite")
def _note_bytes_sqlite(element: note_bytes, compiler: Any, **kw: Any) -> str:
    """SQLite counts a blob's bytes; length() of text would count characters."""
    return "length(CAST(title AS BLOB)) + length(CAST(body AS BLOB))"


class Note(db.Model):  # type: ignore[name-defined,misc]
    """A titled piece of text a user keeps."""

    __tablename__ = "notes"
    __table_args__ = (
        sa.Index("ix_notes_user_id_id", "user_id", "id"),
        sa.Index("uq_notes_source", "user_id", "source_sha256", "source_id", unique=True),
        # Covers the estimate: counts and byte sums of a creation range, index-only.
        sa.Index("ix_notes_user_id_created_at", "user_id", "created_at", "text_bytes"),
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
    # Kept by the database itself, so bulk COPY and every other writer keep it true.
    text_bytes: so.Mapped[int] = so.mapped_column(sa.Computed(note_bytes(), persisted=True))


class Attachment(db.Model):  # type: ignore[name-defined,misc]
    """An uploaded file; the original name is metadata, the bytes live under storage_key."""

    __tablename__ = "attachments"
    __table_args__ = (
        sa.Index("ix_attachments_user_id_id", "user_id", "id"),
        sa.Index("uq_attachments_source", "user_id", "source_sha256", "source_id", unique=True),
        sa.Index("ix_attachments_user_id_created_at", "user_id", "created_at", "size"),
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


class Tombstone(db.Model):  # type: ignore[name-defined,misc]
    """A deleted note or file, remembered so an incremental archive can say it is gone."""

    __tablename__ = "tombstones"
    __table_args__ = (
        sa.CheckConstraint("section IN ('notes', 'files')", name="section_known"),
        sa.Index("ix_tombstones_user_id_deleted_at", "user_id", "deleted_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    section: so.Mapped[str] = so.mapped_column(sa.String(16))
    record_id: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    deleted_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    # A deleted file's bytes, kept until no running build can still need them; then None.
    storage_key: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    change_seq: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)  # see watermark.py
