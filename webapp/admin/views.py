"""The admin's view of the queue."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from webapp.archives import actions
from webapp.archives.models import ArchiveJob, JobStatus
from webapp.auth.models import User
from webapp.auth.session import login_required
from webapp.extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

F = TypeVar("F", bound=Callable[..., Any])


def admin_required(view: F) -> F:
    """Let only administrators through; others get 404, as if nothing were here."""

    @wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        """Answer 404 to non-admins, as if the page did not exist."""
        if not current_user.is_admin:
            abort(404)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@bp.get("/archives")
@admin_required
def archives() -> str:
    """List every job, optionally of one status."""
    status = request.args.get("status")
    query = sa.select(ArchiveJob, User.email).join(User).order_by(ArchiveJob.requested_at.desc())
    if status in set(JobStatus):
        query = query.where(ArchiveJob.status == status)
    rows = db.session.execute(query.limit(200)).all()
    return render_template(
        "admin/archives.html",
        rows=rows,
        status=status,
        statuses=[s.value for s in JobStatus],
        form=FlaskForm(),
    )


def _act(
    job_id: uuid.UUID, action: Callable[[ArchiveJob], bool], done: str, refused: str
) -> Response:
    """Apply an admin action to a job and say how it went."""
    job = db.session.get(ArchiveJob, job_id)
    if job is None:
        abort(404)
    if FlaskForm().validate_on_submit():
        flash(done if action(job) else refused, "info")
    return redirect(url_for("admin.archives"))


@bp.post("/archives/<uuid:job_id>/retry")
@admin_required
def retry(job_id: uuid.UUID) -> Response:
    """Requeue a failed or cancelled job."""
    return _act(
        job_id, actions.retry, "Job requeued.", "Only failed or cancelled jobs can be retried."
    )


@bp.post("/archives/<uuid:job_id>/cancel")
@admin_required
def cancel(job_id: uuid.UUID) -> Response:
    """Cancel an active job."""
    return _act(job_id, actions.cancel, "Cancel requested.", "The job has already finished.")
