"""What every storage backend offers, and the values it hands back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from werkzeug.wrappers import Response

# Two areas share one store: users' uploads and finished archives.
UPLOADS = "uploads"
ARCHIVES = "archives"
AREAS = (UPLOADS, ARCHIVES)


class StoreUnavailable(ConnectionError):
    """The object store did not answer: a transient error, worth retrying later."""


@dataclass(frozen=True)
class Written:
    """What landed in the store: its key, and size and checksums taken in the same pass."""

    key: str
    size: int
    sha256: str
    crc32: int


@dataclass(frozen=True)
class StoredObject:
    """One object found by listing an area, for the orphan check."""

    key: str
    size: int
    modified: datetime


@dataclass(frozen=True)
class Download:
    """How a stored object is offered to the user's browser."""

    name: str
    mimetype: str
    sha256: str | None = None


class Reader(Protocol):
    """An object's bytes as a stream: read them, or read them into the caller's buffer."""

    def read(self, size: int = -1, /) -> bytes:
        """Read up to size bytes (all with -1); b"" at the end."""
        ...

    def readinto(self, buffer: memoryview, /) -> int:
        """Fill up to len(buffer) bytes; 0 at the end."""
        ...


class Store(Protocol):
    """A place for uploads and archives that every web and worker host can reach."""

    def write(self, area: str, key: str, stream: BinaryIO) -> Written:
        """Stream bytes in, hashed on the way; nothing is visible under key until complete."""
        ...

    def publish_file(
        self, area: str, key: str, path: Path, keepalive: Callable[[], None] | None = None
    ) -> None:
        """Move a finished, fsynced local file into the store (multipart on s3)."""
        ...

    def open(self, area: str, key: str) -> AbstractContextManager[Reader]:
        """Open an object for streaming reads; FileNotFoundError when it is not there."""
        ...

    def prefetch(self, area: str, key: str) -> None:
        """Ask for an object's first bytes before they are read; a missing one is no error."""
        ...

    def remove(self, area: str, key: str) -> None:
        """Delete an object; a missing one is not an error."""
        ...

    def keys(self, area: str, prefix: str = "") -> Iterator[StoredObject]:
        """List the area's published objects whose keys start with prefix."""
        ...

    def remove_incomplete(self, area: str, prefix: str, before: datetime) -> int:
        """Drop unfinished writes (temp files, multipart uploads) begun before a moment."""
        ...

    def download(self, area: str, key: str, offer: Download) -> Response:
        """Answer a download: a presigned redirect, an X-Accel-Redirect or a streamed file."""
        ...
