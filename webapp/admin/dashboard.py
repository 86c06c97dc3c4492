"""The dashboard at /admin: the queue at a glance, timelines, bulk retry, exports for users."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from webapp.admin.access import admin_required, record_admin_action
from webapp.admin.overview import overview
from webapp.admin.timeline import timeline
from webapp.admin.views import bp
from webapp.archives import actions
from webapp.archives.models import ArchiveJob, JobStatus
from webapp.auth.models import User
from webapp.extensions import db
from webapp.ops import workers

SEARCH_LIMIT = 50
BULK_LIMIT = 500  # one click requeues at most this many jobs


@bp.get("")
@admin_required
def dashboard() -> str:
    """Show the queue at a glance, with live progress of running jobs."""
    failed = db.session.execute(
        sa.select(ArchiveJob, User.email)
        .join(User)
        .where(ArchiveJob.status == JobStatus.FAILED)
        .order_by(ArchiveJob.finished_at.desc())
        .limit(BULK_LIMIT)
    ).all()
    return render_template(
        "admin/dashboard.html",
        data=overview(),
        workers=workers.seen(),
        failed=failed,
        form=FlaskForm(),
    )


@bp.get("/api/overview")
@admin_required
def overview_json() -> Response:
    """The dashboard's figures as JSON, for its live refresh and for scripts."""
    return jsonify(overview())


def _job_or_404(job_id: uuid.UUID) -> ArchiveJob:
    """Find a job by id or answer 404."""
    job = db.session.get(ArchiveJob, job_id)
    if job is None:
        abort(404)
    return job


@bp.get("/archives/<uuid:job_id>")
@admin_required
def job(job_id: uuid.UUID) -> str:
    """Show one job's timeline: request, attempts with worker and duration, retries, end."""
    found = _job_or_404(job_id)
    owner = db.session.get(User, found.user_id)
    return render_template(
        "admin/job.html", job=found, owner=owner, entries=timeline(found), form=FlaskForm()
    )


@bp.get("/api/archives/<uuid:job_id>")
@admin_required
def job_json(job_id: uuid.UUID) -> Response:
    """One job's timeline as JSON."""
    found = _job_or_404(job_id)
    entries = [
        {
            "at": entry.at.isoformat(),
            "what": entry.what,
            "detail": entry.detail,
            "worker": entry.worker,
            "seconds": entry.seconds,
        }
        for entry in timeline(found)
    ]
    return jsonify({"id": str(found.id), "status": found.status, "timeline": entries})


@bp.post("/archives/retry")
@admin_required
def bulk_retry() -> Response:
    """Requeue the chosen failed jobs (each one noted on its owner's trail)."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    chosen = _ids(request.form.getlist("job_id"))[:BULK_LIMIT]
    jobs = db.session.scalars(
        sa.select(ArchiveJob).where(
            ArchiveJob.id.in_(chosen), ArchiveJob.status == JobStatus.FAILED
        )
    ).all()
    requeued = 0
    for found in jobs:
        if actions.retry(found):
            record_admin_action(found.user_id, "admin_retry", found.id)
            db.session.commit()
            requeued += 1
    skipped = len(chosen) - requeued
    message = f"Requeued {requeued} failed job{'s' if requeued != 1 else ''}."
    if skipped:
        message += f" {skipped} could not be (no longer failed, or the user has one active)."
    flash(message if chosen else "Choose at least one failed job.", "info" if chosen else "error")
    return redirect(url_for("admin.dashboard"))


def _ids(values: list[str]) -> list[uuid.UUID]:
    """Keep the well-formed job ids of a form; others cannot name a job."""
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    return ids


@bp.get("/users")
@admin_required
def users() -> str:
    """Find accounts by email, with their latest jobs and a button to export for them."""
    email = request.args.get("email", "").strip().lower()
    found: list[User] = []
    if email:
        found = list(
            db.session.scalars(
                sa.select(User)
                .where(User.email.contains(email, autoescape=True))
                .order_by(User.email)
                .limit(SEARCH_LIMIT)
            )
        )
    latest = {user.id: actions.recent_jobs(user.id, limit=5) for user in found}
    return render_template(
        "admin/users.html", email=email, users=found, latest=latest, form=FlaskForm()
    )


@bp.post("/users/<int:user_id>/archives")
@admin_required
def export_for(user_id: int) -> Response:
    """Request an archive on a user's behalf (no cooldown), noted on their trail."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if FlaskForm().validate_on_submit():
        found, created = actions.request_archive(user.id, ignore_cooldown=True)
        if created:
            record_admin_action(user.id, "admin_export_requested", found.id)
            db.session.commit()
            flash(f"Archive requested for {user.email}.", "info")
        else:
            flash(f"{user.email} already has an archive on its way.", "info")
    return redirect(url_for("admin.users", email=user.email))
