"""Uploaded bytes on disk: streamed in, hashed on the way, never half-written."""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import current_app

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredFile:
    """Where an upload landed and what it was."""

    storage_key: str
    size: int
    sha256: str


def upload_path(storage_key: str) -> Path:
    """Return the path of a stored upload, fanned out by the key's first two characters."""
    return Path(current_app.config["UPLOAD_DIR"]) / storage_key[:2] / storage_key


def store_stream(stream: IO[bytes], key: str | None = None) -> StoredFile:
    """Copy a stream to a key (a new random one by default) in chunks, then rename it in."""
    key = key or secrets.token_hex(16)
    target = upload_path(key)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    digest, size = hashlib.sha256(), 0
    try:
        with open(partial, "xb") as out:
            while chunk := stream.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return StoredFile(key, size, digest.hexdigest())


def remove(storage_key: str) -> None:
    """Delete a stored upload if it is there."""
    upload_path(storage_key).unlink(missing_ok=True)
