"""The admin's list of every job, with retry and cancel of one."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from webapp.admin.access import admin_required, record_admin_action
from webapp.archives import actions
from webapp.archives.models import ArchiveJob
from webapp.auth.models import User
from webapp.auth.redirects import safe_next
from webapp.extensions import db
from webapp.ops.jobstats import STATUSES

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.get("/archives")
@admin_required
def archives() -> str:
    """List every job, optionally of one status, one error code or matching emails."""
    status = request.args.get("status")
    code = request.args.get("error_code")
    email = request.args.get("email", "").strip()
    query = sa.select(ArchiveJob, User.email).join(User).order_by(ArchiveJob.requested_at.desc())
    if status in STATUSES:
        query = query.where(ArchiveJob.status == status)
    if code:
        query = query.where(ArchiveJob.error_code == code)
    if email:
        query = query.where(User.email.contains(email.lower(), autoescape=True))
    rows = db.session.execute(query.limit(200)).all()
    return render_template(
        "admin/archives.html",
        rows=rows,
        status=status,
        error_code=code,
        email=email,
        statuses=STATUSES,
        form=FlaskForm(),
    )


def _act(
    job_id: uuid.UUID, action: Callable[[ArchiveJob], bool], kind: str, done: str, refused: str
) -> Response:
    """Apply an admin action to a job, note it on the owner's trail and say how it went."""
    job = db.session.get(ArchiveJob, job_id)
    if job is None:
        abort(404)
    if FlaskForm().validate_on_submit():
        if action(job):
            record_admin_action(job.user_id, kind, job.id)
            db.session.commit()
            flash(done, "info")
        else:
            flash(refused, "error")
    return redirect(safe_next(request.form.get("next"), url_for("admin.archives")))


@bp.post("/archives/<uuid:job_id>/retry")
@admin_required
def retry(job_id: uuid.UUID) -> Response:
    """Requeue a failed or cancelled job."""
    return _act(
        job_id,
        actions.retry,
        "admin_retry",
        "Job requeued.",
        "Only failed or cancelled jobs can be retried, and only when the user has none active.",
    )


@bp.post("/archives/<uuid:job_id>/cancel")
@admin_required
def cancel(job_id: uuid.UUID) -> Response:
    """Cancel an active job."""
    return _act(
        job_id, actions.cancel, "admin_cancel", "Cancel requested.", "The job has already finished."
    )
