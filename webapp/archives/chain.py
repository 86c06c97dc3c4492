"""Chains of archives: the manifest's own fields, the link an increment continues, parts' keys."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from webapp.archives import watermark
from webapp.archives.builder import Section
from webapp.archives.builder.parts import Part, part_path
from webapp.archives.contents import sections_for
from webapp.archives.deletions import deleted_section
from webapp.archives.models import ArchiveJob, JobStatus
from webapp.archives.selection import Selection

jobs = ArchiveJob.__table__
# An expired archive was still delivered: its user may hold it, so a chain continues from it.
DELIVERED = (JobStatus.SUCCEEDED, JobStatus.EXPIRED)
CANDIDATES = 50


@dataclass(frozen=True)
class Link:
    """The archive an increment continues: its id, its digest and the snapshot it was built from."""

    id: uuid.UUID
    sha256: str
    watermark: str


@dataclass(frozen=True)
class Plan:
    """What one build writes: its sections and the manifest's fields about the archive itself."""

    sections: tuple[Section, ...]
    about: dict[str, Any]


def plan(conn: Connection, job_id: uuid.UUID, user_id: int, selection: Selection) -> Plan:
    """Read, in the build's own snapshot, what this archive holds and what it continues."""
    # An increment holds what was written after the previous archive's snapshot and the ids of
    # what was deleted since; with no previous archive of its selection it is a full archive,
    # the start of a chain (its manifest has no `continues`).
    now = watermark.take(conn)
    about: dict[str, Any] = {"id": str(job_id), "watermark": now, "selection": selection.to_json()}
    link = previous(conn, user_id, selection, now)
    if link is None:
        return Plan(sections_for(selection), about)
    about["continues"] = {"id": str(link.id), "sha256": link.sha256}
    newer = watermark.newer(link.watermark, now)
    sections = sections_for(selection, newer)
    return Plan((*sections, deleted_section(selection.ordered_sections, newer)), about)


def previous(conn: Connection, user_id: int, selection: Selection, current: str) -> Link | None:
    """The user's latest delivered archive of the same sections and range: the chain's last link."""
    if not selection.incremental:
        return None
    query = (
        sa.select(jobs.c.id, jobs.c.sha256, jobs.c.watermark, jobs.c.selection)
        .where(
            jobs.c.user_id == user_id,
            jobs.c.status.in_(DELIVERED),
            jobs.c.watermark.is_not(None),
        )
        .order_by(jobs.c.finished_at.desc())
        .limit(CANDIDATES)
    )
    for row in conn.execute(query):
        if watermark.comparable(row.watermark, current) and _same_records(row.selection, selection):
            return Link(row.id, row.sha256, row.watermark)
    return None


def _same_records(stored: Any, selection: Selection) -> bool:
    """Tell whether an earlier archive chose the same sections and range, full or increment."""
    earlier = Selection.parse(stored)
    return (earlier.sections, earlier.since, earlier.until) == (
        selection.sections,
        selection.since,
        selection.until,
    )


def part_rows(root_key: str, parts: tuple[Part, ...]) -> list[dict[str, Any]]:
    """Describe each written ZIP for the job row, keyed the way storage names them."""
    return [
        {
            "index": part.index,
            "storage_key": part_path(Path(root_key), part.index).name,
            "size": part.size,
            "sha256": part.sha256,
        }
        for part in parts
    ]


def stored_keys(root_key: str | None, parts: list[dict[str, Any]] | None) -> list[str]:
    """Every stored file of a job, root first; a job from before parts has just its root."""
    keys = [str(part["storage_key"]) for part in parts or []]
    return keys or ([root_key] if root_key else [])
