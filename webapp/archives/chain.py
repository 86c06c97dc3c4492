"""What an archive's manifest says about itself, and where its parts are stored."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from webapp.archives import watermark
from webapp.archives.builder.parts import Part, part_path


def about(conn: Connection, job_id: uuid.UUID) -> dict[str, Any]:
    """The manifest's fields about this archive, the watermark read from the build's snapshot.

    Every archive records its watermark, so that an increment can later continue from it
    (`continues` names that archive; increments are not built yet).
    """
    return {"id": str(job_id), "watermark": watermark.take(conn)}


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
