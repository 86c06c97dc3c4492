"""The Imports page: upload an archive, watch it being checked and added, see what came in."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from webapp.auth.session import login_required
from webapp.imports import actions
from webapp.imports.api import owned_import
from webapp.imports.serialize import import_json
from webapp.imports.upload import UploadRefused, archive_from_request

pages_bp = Blueprint(
    "imports_pages",
    __name__,
    url_prefix="/imports",
    template_folder="templates",
    static_folder="static",
)


@pages_bp.get("")
@login_required
def index() -> str:
    """Show the upload form and the user's imports with live progress."""
    jobs = [import_json(job) for job in actions.recent_imports(current_user.id)]
    return render_template("imports/index.html", jobs=jobs, form=FlaskForm())


@pages_bp.post("")
@login_required
def upload() -> Response:
    """Take the form's archive (one ZIP, or all of its parts) and queue its import."""
    if FlaskForm().validate_on_submit():
        try:
            with archive_from_request() as files:
                actions.start_import(current_user.id, files)
            flash("Your archive is uploaded. It is checked whole before anything is added.", "info")
        except (UploadRefused, actions.ImportActive) as refused:
            flash(refused.message, "error")
    return redirect(url_for("imports_pages.index"))


@pages_bp.post("/<uuid:job_id>/cancel")
@login_required
def cancel(job_id: uuid.UUID) -> Response:
    """Cancel from the page."""
    if FlaskForm().validate_on_submit() and not actions.cancel(owned_import(job_id)):
        flash("That import has already finished.", "error")
    return redirect(url_for("imports_pages.index"))
