"""Asking for an account's erasure, and taking it back within the grace period."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from webapp.auth.activity import record
from webapp.auth.models import User
from webapp.extensions import db
from webapp.types import utcnow


def request_erasure(user: User, *, delay: int | None = None, by: str = "owner") -> datetime:
    """Erase the account after ACCOUNT_ERASE_GRACE (or `delay`) seconds; keep an earlier date."""
    grace = int(current_app.config["ACCOUNT_ERASE_GRACE"]) if delay is None else delay
    erase_at = utcnow() + timedelta(seconds=grace)
    if user.erase_at is None or erase_at < user.erase_at:
        user.erase_at = erase_at
    record(user.id, "account_erase_requested", f"by {by}, at {user.erase_at.isoformat()}")
    db.session.commit()
    return user.erase_at


def cancel_erasure(user: User) -> bool:
    """Take the request back while the grace period lasts; False when there is none to cancel."""
    if user.erase_at is None or user.erase_at <= utcnow():
        return False
    user.erase_at = None
    record(user.id, "account_erase_cancelled")
    db.session.commit()
    return True
