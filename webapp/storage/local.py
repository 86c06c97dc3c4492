"""The embedded default: uploads and archives in folders on this host."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from flask import send_file
from werkzeug.wrappers import Response

from webapp.storage.base import ARCHIVES, UPLOADS, Download, Reader, StoredObject, Written
from webapp.storage.hashing import CHUNK, HashingReader
from webapp.storage.headers import add_digest, content_disposition

PARTIAL = ".partial"
# Bytes of a file read ahead on request: past them, reading on is the kernel's read-ahead.
PREFETCH = 32 * 1024 * 1024


class LocalStore:
    """Folders UPLOAD_DIR and ARCHIVE_DIR; with ACCEL_REDIRECT_PREFIX, nginx sends the bytes."""

    def __init__(self, folders: dict[str, Path], accel_prefix: str | None = None) -> None:
        """Remember each area's folder and the proxy's internal location, if any."""
        self.folders = folders
        self.accel_prefix = accel_prefix.rstrip("/") if accel_prefix else None

    def _relative(self, area: str, key: str) -> str:
        """Uploads fan out by the key's first two characters; archives sit flat."""
        return f"{key[:2]}/{key}" if area == UPLOADS else key

    def path(self, area: str, key: str) -> Path:
        """Where an object lives on disk."""
        return self.folders[area] / self._relative(area, key)

    def write(self, area: str, key: str, stream: BinaryIO) -> Written:
        """Copy into a temp file, fsync, then rename into place."""
        target = self.path(area, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}{PARTIAL}")
        reader = HashingReader(stream)
        try:
            with open(partial, "xb") as out:
                while chunk := reader.read(CHUNK):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return Written(key, reader.size, reader.sha256, reader.crc32)

    def publish_file(
        self, area: str, key: str, path: Path, keepalive: Callable[[], None] | None = None
    ) -> None:
        """Rename the finished file into the area (a no-op when it is already there)."""
        target = self.path(area, key)
        if path != target:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)

    def open(self, area: str, key: str) -> AbstractContextManager[Reader]:
        """Open the file; FileNotFoundError when it is gone."""
        return open(self.path(area, key), "rb")

    def prefetch(self, area: str, key: str) -> None:
        """Have the kernel read the file's first PREFETCH bytes into its cache, not waiting."""
        try:
            fd = os.open(self.path(area, key), os.O_RDONLY)
        except FileNotFoundError:
            return  # reading it will say so
        try:
            os.posix_fadvise(fd, 0, PREFETCH, os.POSIX_FADV_WILLNEED)
        finally:
            os.close(fd)

    def remove(self, area: str, key: str) -> None:
        """Delete the file if it is there."""
        self.path(area, key).unlink(missing_ok=True)

    def keys(self, area: str, prefix: str = "") -> Iterator[StoredObject]:
        """Walk the area's folder, skipping temp files."""
        for path in self.folders[area].rglob(f"{prefix}*"):
            if path.name.startswith("."):
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue  # removed since the listing: not there any more
            if path.is_file():
                modified = datetime.fromtimestamp(stat.st_mtime, UTC)
                yield StoredObject(path.name, stat.st_size, modified)

    def remove_incomplete(self, area: str, prefix: str, before: datetime) -> int:
        """Delete temp files of writes that died before finishing."""
        removed = 0
        for path in self.folders[area].rglob(f".{prefix}*{PARTIAL}"):
            if modified_before(path, before.timestamp()):
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def download(self, area: str, key: str, offer: Download) -> Response:
        """Hand the file to nginx when it fronts us, else stream it with Range support."""
        path = self.path(area, key)
        if not path.is_file():
            raise FileNotFoundError(key)
        if self.accel_prefix:
            response = Response(mimetype=offer.mimetype)
            response.headers["X-Accel-Redirect"] = (
                f"{self.accel_prefix}/{area}/{self._relative(area, key)}"
            )
        else:
            response = send_file(path, mimetype=offer.mimetype, conditional=True, max_age=0)
            if offer.sha256:
                response.set_etag(offer.sha256)
        response.headers["Content-Disposition"] = content_disposition(offer.name)
        return add_digest(response, offer.sha256)


def modified_before(path: Path, moment: float) -> bool:
    """Whether a file was last written before moment; False once another process moved it.

    Builds run side by side in one folder: a temp file seen in a listing may be renamed
    into place by its build a moment later, and must not fail the build that looked.
    """
    try:
        return path.stat().st_mtime < moment
    except FileNotFoundError:
        return False


def folders_of(config: dict[str, str]) -> dict[str, Path]:
    """The two areas' folders from the app's settings."""
    return {UPLOADS: Path(config["UPLOAD_DIR"]), ARCHIVES: Path(config["ARCHIVE_DIR"])}
