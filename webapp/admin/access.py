"""Who may operate the queue, and the trail every admin action leaves."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, request
from flask_login import current_user

from webapp.auth.activity import record
from webapp.errors import MESSAGES, api_error

F = TypeVar("F", bound=Callable[..., Any])
DETAIL_LIMIT = 255  # activity_events.detail


def admin_required(view: F) -> F:
    """Let only administrators through; everyone else gets 404, as if nothing were here."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        """Answer 404 (JSON under /admin/api) unless an admin is logged in."""
        if not (current_user.is_authenticated and current_user.is_admin):
            if request.path.startswith("/admin/api/"):
                return api_error(404, "not_found", MESSAGES[404])
            abort(404)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def record_admin_action(user_id: int, kind: str, job_id: object) -> None:
    """Note on the user's trail what an admin did to their account, naming the admin."""
    detail = f"{job_id} by {current_user.email}"
    record(user_id, kind, detail[:DETAIL_LIMIT])
