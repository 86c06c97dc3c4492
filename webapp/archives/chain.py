"""Chains of archives: what a build continues, and what its manifest says about itself."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from webapp.archives import watermark
from webapp.archives.builder.parts import Part, part_path
from webapp.archives.models import ArchiveJob, JobStatus

jobs = ArchiveJob.__table__


@dataclass(frozen=True)
class Previous:
    """The user's latest successful archive: the one an increment continues."""

    id: uuid.UUID
    sha256: str
    watermark: str


def previous_archive(conn: Connection, user_id: int) -> Previous | None:
    """Find the latest archive that succeeded (downloadable or since expired) with a watermark."""
    row = conn.execute(
        sa.select(jobs.c.id, jobs.c.sha256, jobs.c.watermark)
        .where(
            jobs.c.user_id == user_id,
            jobs.c.status.in_((JobStatus.SUCCEEDED, JobStatus.EXPIRED)),
            jobs.c.watermark.is_not(None),
            jobs.c.sha256.is_not(None),
        )
        .order_by(jobs.c.finished_at.desc())
        .limit(1)
    ).first()
    return Previous(row.id, row.sha256, row.watermark) if row else None


def about(
    conn: Connection, job_id: uuid.UUID, selection: dict[str, Any], previous: Previous | None
) -> dict[str, Any]:
    """The manifest's fields about this archive, the watermark read from the build's snapshot."""
    fields: dict[str, Any] = {
        "id": str(job_id),
        "selection": selection,
        "watermark": watermark.take(conn),
    }
    if previous is not None:
        fields["continues"] = {"id": str(previous.id), "sha256": previous.sha256}
    return fields


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
