"""Where archives are built (this host's scratch folder) and kept (the store)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app
from werkzeug.wrappers import Response

from webapp.storage import ARCHIVES, Download, store
from webapp.storage.local import modified_before


def scratch_dir() -> Path:
    """This host's folder for archives being written (on local, also where they are kept)."""
    return Path(current_app.config["ARCHIVE_DIR"])


def storage_key_for(job_id: uuid.UUID, attempt: int) -> str:
    """Name each attempt's file apart, so a stale worker can never overwrite the winner's."""
    return f"{job_id}-{attempt}.zip"


def scratch_path(storage_key: str) -> Path:
    """Where this host writes an archive before publishing it."""
    return scratch_dir() / storage_key


def publish(storage_key: str, path: Path, keepalive: Callable[[], None]) -> None:
    """Put a finished, checked archive in the store; the job may be succeeded only after."""
    store().publish_file(ARCHIVES, storage_key, path, keepalive)


def clear_earlier_attempts(job_id: uuid.UUID, attempt: int) -> int:
    """Remove what earlier attempts of this job left: they died, and their lease is gone.

    An attempt that was cut off while uploading may have left a whole object (the store
    completed it but the answer was lost) or an unfinished multipart upload.
    """
    backend = store()
    prefix = f"{job_id}-"
    removed = remove_partials(job_id)
    for item in backend.keys(ARCHIVES, prefix):
        if item.key != storage_key_for(job_id, attempt):
            backend.remove(ARCHIVES, item.key)
            removed += 1
    return removed + backend.remove_incomplete(ARCHIVES, prefix, datetime.now(UTC))


def remove_partials(job_id: uuid.UUID) -> int:
    """Delete this host's temp files of a job's attempts."""
    removed = 0
    for partial in scratch_dir().glob(f".{job_id}-*.partial"):
        partial.unlink(missing_ok=True)
        removed += 1
    return removed


def remove_stale_partials(older_than: float) -> int:
    """Delete this host's temp files last written before `older_than` (epoch seconds)."""
    removed = 0
    for partial in scratch_dir().glob(".*.partial"):
        if modified_before(partial, older_than):
            partial.unlink(missing_ok=True)
            removed += 1
    return removed


def remove(storage_key: str | None) -> None:
    """Delete an archive from the store if there is one."""
    if storage_key:
        store().remove(ARCHIVES, storage_key)


def download(storage_key: str, name: str, sha256: str | None) -> Response:
    """Offer an archive: a presigned redirect, an X-Accel-Redirect or the streamed file."""
    return store().download(ARCHIVES, storage_key, Download(name, "application/zip", sha256))
