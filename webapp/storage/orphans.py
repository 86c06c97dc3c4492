"""Find and remove what a crash left behind, in both directions, on either backend.

Files without rows: an upload whose commit never happened, an archive whose job was lost
between publish and success. Rows without files: an attachment or a succeeded archive whose
object disappeared. Anything younger than STORAGE_ORPHAN_GRACE may be mid-write and is left.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from webapp.archives import transitions
from webapp.archives.models import ArchiveJob, JobStatus
from webapp.auth.activity import record
from webapp.extensions import db
from webapp.imports import storage as import_storage
from webapp.notes.models import Attachment, Tombstone
from webapp.storage import ARCHIVES, AREAS, UPLOADS, store
from webapp.types import utcnow


@dataclass
class OrphanReport:
    """What one check found (and removed, when asked to), per area."""

    removed: bool
    files_without_rows: dict[str, list[str]] = field(default_factory=dict)
    rows_without_files: dict[str, list[str]] = field(default_factory=dict)
    incomplete_writes: int = 0

    def lines(self) -> list[str]:
        """Describe the findings for the CLI and the log."""
        verb = "removed" if self.removed else "found"
        out = [f"{verb} {self.incomplete_writes} unfinished writes"]
        for area in AREAS:
            files = self.files_without_rows.get(area, [])
            rows = self.rows_without_files.get(area, [])
            out.append(
                f"{area}: {verb} {len(files)} files without rows, {len(rows)} rows without files"
            )
            out.extend(f"  file without row: {area}/{key}" for key in files)
            out.extend(f"  row without file: {area} {ref}" for ref in rows)
        return out


def check(remove: bool) -> OrphanReport:
    """Compare the store with the tables; with remove, make them agree again."""
    cutoff = utcnow() - timedelta(seconds=int(current_app.config["STORAGE_ORPHAN_GRACE"]))
    report = OrphanReport(removed=remove)
    backend = store()
    # An import waiting for a worker may be older than the grace: its files have no row yet.
    held = {UPLOADS: import_storage.held_prefixes(), ARCHIVES: ()}
    for area, known in ((UPLOADS, _upload_keys()), (ARCHIVES, _archive_keys())):
        listed = {item.key: item.modified for item in backend.keys(area)}
        stray = sorted(
            key
            for key, when in listed.items()
            if key not in known and when < cutoff and not key.startswith(held[area])
        )
        report.files_without_rows[area] = stray
        if remove:
            for key in stray:
                backend.remove(area, key)
            report.incomplete_writes += backend.remove_incomplete(area, "", cutoff)
        report.rows_without_files[area] = _rows_without_files(area, set(listed), cutoff, remove)
    return report


def _upload_keys() -> set[str]:
    """Every key an attachment row points at, and deleted files' bytes a build may still read."""
    waiting = sa.select(Tombstone.storage_key).where(Tombstone.storage_key.is_not(None))
    kept = {key for key in db.session.scalars(waiting) if key}
    return set(db.session.scalars(sa.select(Attachment.storage_key))) | kept


def _archive_keys() -> set[str]:
    """Every key a job row points at, whatever its state."""
    query = sa.select(ArchiveJob.storage_key).where(ArchiveJob.storage_key.is_not(None))
    return {key for key in db.session.scalars(query) if key}


def _rows_without_files(area: str, listed: set[str], cutoff: datetime, remove: bool) -> list[str]:
    """Rows older than the grace period whose object is gone."""
    refs = (_lost_uploads if area == UPLOADS else _lost_archives)(listed, cutoff, remove)
    db.session.commit()
    return refs


def _lost_uploads(listed: set[str], cutoff: datetime, remove: bool) -> list[str]:
    """Attachment rows without bytes; removed, since every export would fail file_missing."""
    query = sa.select(Attachment).where(Attachment.created_at < cutoff)
    lost = [a for a in db.session.scalars(query) if a.storage_key not in listed]
    if remove:
        for attachment in lost:
            record(attachment.user_id, "file_lost", attachment.original_name)
            db.session.delete(attachment)
    return [f"attachment {a.id}" for a in lost]


def _lost_archives(listed: set[str], cutoff: datetime, remove: bool) -> list[str]:
    """Succeeded jobs without their object; they can no longer be downloaded: expired."""
    query = sa.select(ArchiveJob.id, ArchiveJob.storage_key).where(
        ArchiveJob.status == JobStatus.SUCCEEDED,
        ArchiveJob.finished_at < cutoff,
        ArchiveJob.storage_key.is_not(None),
    )
    lost: list[tuple[uuid.UUID, str]] = [
        (job_id, key) for job_id, key in db.session.execute(query) if key and key not in listed
    ]
    if remove:
        for job_id, key in lost:
            transitions.expire_lost(job_id, key)
    return [f"job {job_id}" for job_id, _ in lost]
