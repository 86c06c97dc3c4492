"""SHA-256 and CRC-32 of a stream in the single pass that stores it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from isal import isal_zlib

CHUNK = 1024 * 1024


def file_digest(path: Path, advance: Callable[[int], None] | None = None) -> tuple[int, str]:
    """A whole file's size and SHA-256, read as a stream; `advance` hears of each chunk."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if advance is not None:
                advance(len(chunk))
    return size, digest.hexdigest()


class HashingReader:
    """A read-only, non-seekable view of a stream that hashes every byte it hands out.

    Being non-seekable matters: upload managers then read it once, in order, so the
    checksums describe exactly the bytes that were stored.
    """

    def __init__(self, stream: BinaryIO) -> None:
        """Wrap a stream; counting starts at its current position."""
        self._stream = stream
        self._sha256 = hashlib.sha256()
        self.crc32 = 0
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        """Read and account for up to size bytes."""
        chunk = self._stream.read(size if size is not None and size >= 0 else CHUNK)
        if chunk:
            self._sha256.update(chunk)
            # ISA-L's CRC-32 is the zlib one, several times faster.
            self.crc32 = isal_zlib.crc32(chunk, self.crc32)
            self.size += len(chunk)
        return chunk

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of everything read so far."""
        return self._sha256.hexdigest()
