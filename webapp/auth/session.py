"""Login state: who is logged in, since when, and whether it is recent enough."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import current_app, session
from flask_login import login_required as _login_required
from flask_login import login_user, logout_user

from webapp.auth.activity import record
from webapp.auth.models import User
from webapp.extensions import db, login_manager
from webapp.types import utcnow

F = TypeVar("F", bound=Callable[..., Any])


def login_required(view: F) -> F:
    """Send anonymous visitors to log in (Flask-Login's decorator, typed)."""
    return cast(F, _login_required(view))


def load_user(alternative_id: str) -> User | None:
    """Accept a session only while its version matches the account's."""
    user_id, _, version = alternative_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user


login_manager.user_loader(load_user)


def start_session(user: User, *, remember: bool) -> None:
    """Log the user in and note the time for re-authentication checks."""
    login_user(user, remember=remember)
    user.last_login_at = utcnow()
    mark_authenticated()


def end_all_sessions(user: User, kind: str) -> None:
    """Void every session and remember-me cookie of the account, then log this one out."""
    user.session_version += 1
    record(user.id, kind)
    db.session.commit()
    logout_user()


def mark_authenticated() -> None:
    """Record that the user proved their password just now."""
    session["auth_at"] = int(time.time())


def is_recent_login() -> bool:
    """Tell whether the password was given within REAUTH_SECONDS."""
    auth_at = session.get("auth_at")
    window = int(current_app.config["REAUTH_SECONDS"])
    return isinstance(auth_at, int) and time.time() - auth_at <= window
