"""Per-user limits on notes, files and stored bytes (QUOTA_*), checked under the owner's lock."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, current_app

from webapp.auth.models import User
from webapp.errors import respond
from webapp.extensions import db
from webapp.notes.models import Attachment, Note

MEGABYTE = 1024 * 1024


class QuotaReached(Exception):
    """A write that would take the account past one of its quotas; the message says which."""

    def __init__(self, message: str) -> None:
        """Keep the message the user is shown."""
        super().__init__(message)
        self.message = message


def _lock_owner(user_id: int) -> None:
    """Hold the user's row until the caller commits: two writes cannot both take the last place."""
    db.session.execute(sa.select(User.id).where(User.id == user_id).with_for_update())


def _size(count: int) -> str:
    """Bytes in words a person reads at a glance."""
    if count < MEGABYTE:
        return f"{count:,} bytes"
    if count < 1024 * MEGABYTE:
        return f"{count / MEGABYTE:,.1f} MB"
    return f"{count / (1024 * MEGABYTE):,.1f} GB"


def reserve_note(user_id: int) -> None:
    """Refuse a new note past QUOTA_NOTES; the lock lasts until the caller's commit."""
    _lock_owner(user_id)
    limit = int(current_app.config["QUOTA_NOTES"])
    notes = db.session.scalar(sa.select(sa.func.count()).where(Note.user_id == user_id)) or 0
    if notes >= limit:
        raise QuotaReached(
            f"You have reached the limit of {limit:,} notes an account can keep. "
            "Delete some to add more."
        )


def check_upload(user_id: int, size: int = 0) -> None:
    """Refuse an upload of `size` bytes past QUOTA_FILES or QUOTA_BYTES."""
    files, used = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Attachment.size), 0)).where(
            Attachment.user_id == user_id
        )
    ).one()
    max_files, max_bytes = (int(current_app.config[k]) for k in ("QUOTA_FILES", "QUOTA_BYTES"))
    if files >= max_files:
        raise QuotaReached(
            f"You have reached the limit of {max_files:,} files an account can keep. "
            "Delete some to upload more."
        )
    if used + size > max_bytes or used >= max_bytes:
        raise QuotaReached(
            f"Your files may take {_size(max_bytes)} in all and already take {_size(used)}; "
            f"this one ({_size(size)}) does not fit. Delete some to upload more."
        )


def reserve_upload(user_id: int, size: int) -> None:
    """Check an upload's final size under the owner's lock, which lasts until the commit."""
    _lock_owner(user_id)
    check_upload(user_id, size)


def init_app(app: Flask) -> None:
    """Answer a quota reached where no form catches it (the JSON API) with 403."""
    app.register_error_handler(
        QuotaReached, lambda error: respond(403, "quota_exceeded", error.message)
    )
