"""The Archives page: request, watch, cancel, delete."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from webapp.archives import actions
from webapp.archives.access import owned_job, recent_login_required
from webapp.archives.serialize import job_json
from webapp.auth.session import login_required

pages_bp = Blueprint(
    "archives_pages", __name__, url_prefix="/archives", template_folder="templates"
)


@pages_bp.get("")
@login_required
def index() -> str:
    """Show the user's archives with live progress."""
    jobs = actions.recent_jobs(current_user.id)
    return render_template(
        "archives/index.html", jobs=[job_json(job) for job in jobs], form=FlaskForm()
    )


@pages_bp.post("")
@login_required
@recent_login_required
def request_archive() -> Response:
    """Request an archive from the page's button."""
    if FlaskForm().validate_on_submit():
        try:
            _, created = actions.request_archive(current_user.id)
            flash(
                "Your archive is on its way." if created else "Your archive is already being made.",
                "info",
            )
        except actions.CooldownActive as wait:
            flash(wait.message, "error")
    return redirect(url_for("archives_pages.index"))


@pages_bp.post("/<uuid:job_id>/cancel")
@login_required
def cancel(job_id: uuid.UUID) -> Response:
    """Cancel from the page."""
    if FlaskForm().validate_on_submit() and not actions.cancel(owned_job(job_id)):
        flash("That archive has already finished.", "error")
    return redirect(url_for("archives_pages.index"))


@pages_bp.post("/<uuid:job_id>/delete")
@login_required
def delete(job_id: uuid.UUID) -> Response:
    """Delete from the page."""
    if FlaskForm().validate_on_submit() and not actions.delete(owned_job(job_id)):
        flash("Cancel the archive before deleting it.", "error")
    return redirect(url_for("archives_pages.index"))
