"""Who may touch a job: its owner, logged in recently enough for exports."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort, redirect, request, url_for
from flask_login import current_user

from webapp.archives.models import ArchiveJob, JobRow
from webapp.auth import intent
from webapp.auth.session import is_recent_login
from webapp.errors import api_error
from webapp.extensions import db

F = TypeVar("F", bound=Callable[..., Any])
J = TypeVar("J", bound=JobRow)


def owned_row(model: type[J], job_id: uuid.UUID) -> J:
    """Return the caller's job of `model`, or 404 whether it is someone else's or missing."""
    job: J | None = db.session.scalar(
        sa.select(model).where(model.id == job_id, model.user_id == current_user.id)
    )
    if job is None:
        abort(404)
    return job


def owned_job(job_id: uuid.UUID) -> ArchiveJob:
    """Return the caller's archive job, or 404."""
    return owned_row(ArchiveJob, job_id)


def recent_login_required(view: F) -> F:
    """Ask for the password again when the login is older than REAUTH_SECONDS."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        """Run the view, or ask for the password first when the login is stale."""
        if is_recent_login():
            return view(*args, **kwargs)
        wants_page = request.method == "GET" and request.accept_mimetypes.accept_html
        if request.blueprint == "archives_api" and not wants_page:
            return api_error(
                401, "reauth_required", "Confirm your password to export data: POST /auth/confirm."
            )
        # Remember what the user was doing, so after the password it happens rather than
        # leaving them on a page where nothing was done.
        intent.remember(request.endpoint, request.view_args)
        target = request.full_path if request.method == "GET" else url_for("archives_pages.index")
        return redirect(url_for("auth.confirm", next=target))

    return wrapper  # type: ignore[return-value]
