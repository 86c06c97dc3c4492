"""Where an import's bytes live: the uploaded archive, and the files it adds to the account.

Added files get keys named after the job and attempt, so whatever a failed or killed attempt
stored can be found and removed again without a row pointing at it.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import IO

from flask import current_app

from webapp.notes import storage as uploads
from webapp.notes.storage import StoredFile

PREFIX = "i"


def save_upload(stream: IO[bytes]) -> StoredFile:
    """Store an uploaded archive as it arrives, in constant memory, hashed on the way."""
    return uploads.store_stream(stream)


def upload_path(key: str) -> Path:
    """The local file of a stored archive (ZIP reading needs random access)."""
    return uploads.upload_path(key)


def member_key(job_id: uuid.UUID, attempt: int, source_id: int) -> str:
    """The key of a file this attempt adds: unique, and findable by job and attempt."""
    return f"{PREFIX}{job_id.hex}-{attempt}-{source_id}"


def save_member(key: str, stream: IO[bytes]) -> StoredFile:
    """Store one file of the archive under its attempt's key."""
    return uploads.store_stream(stream, key)


def remove_attempts(job_id: uuid.UUID, attempt: int | None = None) -> int:
    """Remove the files one attempt (or every attempt) of a job stored; return how many."""
    stem = f"{PREFIX}{job_id.hex}-" + ("" if attempt is None else f"{attempt}-")
    folder = Path(current_app.config["UPLOAD_DIR"]) / stem[:2]
    removed = 0
    for path in folder.glob(f"{stem}*"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed


def remove(key: str | None) -> None:
    """Delete a stored object if there is one."""
    if key:
        uploads.remove(key)
