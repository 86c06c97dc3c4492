"""Uploaded bytes in the store: streamed in, hashed on the way, never left without a row."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import BinaryIO

from werkzeug.wrappers import Response

from webapp.extensions import db
from webapp.storage import UPLOADS, Download, Reader, Written, store


@contextmanager
def stored_upload(stream: BinaryIO) -> Iterator[Written]:
    """Store a stream under a new random key; remove it again if the caller's commit fails.

    The row is committed inside the block. Should the process die between the write and the
    commit, the orphan check removes the object once STORAGE_ORPHAN_GRACE has passed.
    """
    written = write_upload(stream)
    try:
        yield written
    except BaseException:
        db.session.rollback()  # the row is gone; the session stays usable for the error page
        store().remove(UPLOADS, written.key)
        raise


def write_upload(stream: BinaryIO) -> Written:
    """Store a stream under a new random key (a row must follow, or the orphan check acts)."""
    return store().write(UPLOADS, secrets.token_hex(16), stream)


def open_upload(storage_key: str) -> AbstractContextManager[Reader]:
    """Open a stored upload for streaming; FileNotFoundError when it is gone."""
    return store().open(UPLOADS, storage_key)


def prefetch_upload(storage_key: str) -> None:
    """Ask the store for an upload's first bytes ahead of opening it."""
    store().prefetch(UPLOADS, storage_key)


def download(storage_key: str, name: str, mimetype: str) -> Response:
    """Offer a stored upload to its owner, always as an attachment."""
    return store().download(UPLOADS, storage_key, Download(name, mimetype))


def remove(storage_key: str) -> None:
    """Delete a stored upload if it is there."""
    store().remove(UPLOADS, storage_key)
