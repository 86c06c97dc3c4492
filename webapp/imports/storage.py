"""Where an import's bytes live: the uploaded archive, and the files it adds to the account.

Added files get keys named after the job and attempt, so whatever a failed or killed attempt
stored can be found and removed again without a row pointing at it.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO, cast

from flask import current_app

from webapp.notes import storage as uploads
from webapp.storage import UPLOADS, Written, store
from webapp.storage.hashing import CHUNK
from webapp.storage.local import LocalStore

PREFIX = "i"


def save_upload(stream: IO[bytes]) -> Written:
    """Store an uploaded archive as it arrives, in constant memory, hashed on the way."""
    return uploads.write_upload(cast(BinaryIO, stream))


@contextmanager
def local_copy(key: str) -> Iterator[Path]:
    """A local file of a stored archive (ZIP reading needs random access), while in use.

    On local that is the stored file itself; on s3, a temp copy in this host's UPLOAD_DIR.
    """
    backend = store()
    if isinstance(backend, LocalStore):
        yield backend.path(UPLOADS, key)
        return
    with tempfile.NamedTemporaryFile(dir=current_app.config["UPLOAD_DIR"]) as copy:
        with backend.open(UPLOADS, key) as source:
            shutil.copyfileobj(source, copy, CHUNK)
        copy.flush()
        yield Path(copy.name)


def member_key(job_id: uuid.UUID, attempt: int, source_id: int) -> str:
    """The key of a file this attempt adds: unique, and findable by job and attempt."""
    return f"{PREFIX}{job_id.hex}-{attempt}-{source_id}"


def save_member(key: str, stream: IO[bytes]) -> Written:
    """Store one file of the archive under its attempt's key."""
    return store().write(UPLOADS, key, cast(BinaryIO, stream))


def remove_attempts(job_id: uuid.UUID, attempt: int | None = None) -> int:
    """Remove the files one attempt (or every attempt) of a job stored; return how many."""
    stem = f"{PREFIX}{job_id.hex}-" + ("" if attempt is None else f"{attempt}-")
    backend = store()
    removed = 0
    for item in backend.keys(UPLOADS, stem):
        backend.remove(UPLOADS, item.key)
        removed += 1
    return removed


def remove(key: str | None) -> None:
    """Delete a stored object if there is one."""
    if key:
        uploads.remove(key)
