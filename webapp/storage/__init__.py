"""Where uploads and archives live: local folders or an S3-compatible store (STORAGE_BACKEND).

Web hosts, worker hosts and beat share nothing but PostgreSQL, Redis and this store, so every
read and write of user bytes goes through `store()`.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, current_app

from webapp.storage.base import (
    ARCHIVES,
    AREAS,
    UPLOADS,
    Download,
    Reader,
    Store,
    StoredObject,
    StoreUnavailable,
    Written,
)
from webapp.storage.local import LocalStore, folders_of

__all__ = [
    "ARCHIVES",
    "AREAS",
    "UPLOADS",
    "Download",
    "Reader",
    "Store",
    "StoreUnavailable",
    "StoredObject",
    "Written",
    "settings_problem",
    "store",
]
BACKENDS = ("local", "s3")


def settings_problem(config: dict[str, Any]) -> str | None:
    """What makes the storage settings unworkable, so the app refuses to start; None if fine."""
    backend = config["STORAGE_BACKEND"]
    if backend not in BACKENDS:
        return f"STORAGE_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}"
    if backend == "s3" and not config.get("S3_BUCKET"):
        return "STORAGE_BACKEND=s3 needs S3_BUCKET"
    return None


def store(app: Flask | None = None) -> Store:
    """The app's store, made once per process (a forked worker child makes its own clients)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cached = app.extensions.get("storage")
    if cached is not None and cached[0] == os.getpid():
        return cached[1]  # type: ignore[no-any-return]
    made = _make(app.config)
    app.extensions["storage"] = (os.getpid(), made)
    return made


def _make(config: dict[str, Any]) -> Store:
    """Build the configured backend."""
    if config["STORAGE_BACKEND"] == "s3":
        from webapp.storage.clients import s3_store

        return s3_store(config)
    return LocalStore(folders_of(config), config.get("ACCEL_REDIRECT_PREFIX"))
