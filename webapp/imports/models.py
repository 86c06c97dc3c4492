"""The import job row: the one source of truth about an import, as archive_jobs is for exports."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from webapp.archives.models import JobRow, job_table_args
from webapp.extensions import db

SECTIONS = ("notes", "files")


class ImportJob(JobRow, db.Model):  # type: ignore[name-defined,misc]
    """One uploaded archive being checked and added to its owner's account."""

    __tablename__ = "import_jobs"
    __table_args__ = job_table_args(__tablename__)

    # The uploaded archive, kept until the job ends.
    upload_key: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    size: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    # What the checked manifest said (null until the check passes).
    source_format: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    source_version: so.Mapped[int | None] = so.mapped_column()
    source_email: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    # The full archive that starts this one's chain (itself for a full archive): records of one
    # chain are the same records, however many increments they came through.
    source_root: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    added_notes: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    added_files: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    skipped_notes: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    skipped_files: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    # What an increment changed in records an earlier link of its chain had added.
    changed_notes: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0, server_default="0")
    deleted_notes: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0, server_default="0")
    deleted_files: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0, server_default="0")
