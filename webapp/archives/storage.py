"""Where finished archives live on disk."""

from __future__ import annotations

import uuid
from pathlib import Path

from flask import current_app


def archive_dir() -> Path:
    """Return the folder that holds archives and their temp files."""
    return Path(current_app.config["ARCHIVE_DIR"])


def storage_key_for(job_id: uuid.UUID, attempt: int) -> str:
    """Name each attempt's file apart, so a stale worker can never overwrite the winner's."""
    return f"{job_id}-{attempt}.zip"


def archive_path(storage_key: str) -> Path:
    """Return the path of a stored archive."""
    return archive_dir() / storage_key


def remove_partials(job_id: uuid.UUID) -> int:
    """Delete temp files of a job's earlier attempts: they died, and their lease is gone."""
    removed = 0
    for partial in archive_dir().glob(f".{job_id}-*.partial"):
        partial.unlink(missing_ok=True)
        removed += 1
    return removed


def remove_stale_partials(older_than: float) -> int:
    """Delete temp files last written before `older_than` (epoch seconds): no build owns them."""
    removed = 0
    for partial in archive_dir().glob(".*.partial"):
        if partial.stat().st_mtime < older_than:
            partial.unlink(missing_ok=True)
            removed += 1
    return removed


def remove(storage_key: str | None) -> None:
    """Delete an archive file if there is one."""
    if storage_key:
        archive_path(storage_key).unlink(missing_ok=True)
