"""Where an import's bytes live: the uploaded archive, and the files it adds to the account.

An upload's files (one ZIP, or an index part and its parts) share a random stem: the root's key,
which the job row holds, is `<stem>.0.<name>`, the others' `<stem>.<n>.<name>`, so the whole set
is found, and removed, from the row alone. Added files get keys named after the job and attempt,
so whatever a failed or killed attempt stored can be found and removed again without a row
pointing at it.
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, BinaryIO, cast

import sqlalchemy as sa
from flask import current_app

from webapp.archives.models import ACTIVE_STATES
from webapp.extensions import db
from webapp.imports.bundle import Given
from webapp.imports.models import ImportJob
from webapp.notes import storage as uploads
from webapp.storage import UPLOADS, Written, store
from webapp.storage.hashing import CHUNK
from webapp.storage.local import LocalStore

PREFIX = "i"
# The job row's key column holds 80 characters: a 32-character stem, `.0.` and the name.
NAME_CHARS = 45


def save_upload(files: Sequence[tuple[str, IO[bytes]]]) -> list[Written]:
    """Store an upload's files as they arrive, the root first, in constant memory, hashed."""
    stem, written = secrets.token_hex(16), []
    try:
        for n, (name, stream) in enumerate(files):
            key = f"{stem}.{n}.{_safe(name)}"
            written.append(store().write(UPLOADS, key, cast(BinaryIO, stream)))
    except BaseException:
        for each in written:
            uploads.remove(each.key)
        raise
    return written


def _safe(name: str) -> str:
    """A file's name as a key may carry it: plain characters, its informative end kept."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[-NAME_CHARS:] or "archive.zip"


def _set_keys(upload_key: str) -> list[str]:
    """The keys of an upload's files, the root first (an older upload is the root alone)."""
    stem = upload_key.split(".", 1)[0]
    others = [item.key for item in store().keys(UPLOADS, f"{stem}.") if item.key != upload_key]
    return [upload_key, *sorted(others, key=lambda key: int(key.split(".")[1]))]


@contextmanager
def local_files(upload_key: str) -> Iterator[list[Given]]:
    """Local files of an upload's ZIPs, the root first, named as their owner named them."""
    with ExitStack() as stack:
        yield [
            Given(stack.enter_context(local_copy(key)), key.split(".", 2)[-1])
            for key in _set_keys(upload_key)
        ]


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


def held_prefixes() -> tuple[str, ...]:
    """Key prefixes of what unfinished imports still need: their uploads and the files they add."""
    query = sa.select(ImportJob.id, ImportJob.upload_key).where(ImportJob.status.in_(ACTIVE_STATES))
    held: list[str] = []
    for job_id, upload_key in db.session.execute(query):
        held.append(f"{PREFIX}{job_id.hex}-")
        if upload_key:
            held.append(upload_key.split(".", 1)[0] + ".")
    return tuple(held)


def remove_attempts(job_id: uuid.UUID, attempt: int | None = None) -> int:
    """Remove the files one attempt (or every attempt) of a job stored; return how many."""
    stem = f"{PREFIX}{job_id.hex}-" + ("" if attempt is None else f"{attempt}-")
    backend = store()
    removed = 0
    for item in backend.keys(UPLOADS, stem):
        backend.remove(UPLOADS, item.key)
        removed += 1
    return removed


def remove(upload_key: str | None) -> None:
    """Delete an upload's stored files, if there are any."""
    if upload_key:
        for key in _set_keys(upload_key):
            uploads.remove(key)
