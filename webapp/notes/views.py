"""List and add notes; list, upload and fetch files."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.auth.session import login_required
from webapp.extensions import db
from webapp.notes import storage
from webapp.notes.forms import NoteForm, UploadForm
from webapp.notes.models import Attachment, Note
from webapp.pagination import Page, paginate

bp = Blueprint("notes", __name__, template_folder="templates")


@bp.route("/")
def home() -> Response:
    """Send visitors to their notes, or to the login page."""
    return redirect(url_for("notes.index"))


@bp.route("/notes", methods=["GET", "POST"])
@login_required
def index() -> str | Response:
    """List the user's notes and add a new one."""
    form = NoteForm()
    if form.validate_on_submit():
        db.session.add(Note(user_id=current_user.id, title=form.title.data, body=form.body.data))
        db.session.commit()
        flash("Note saved.", "info")
        return redirect(url_for("notes.index"))
    page: Page[Note] = paginate(Note, current_user.id, request.args.get("page"))
    return render_template("notes/index.html", form=form, page=page)


@bp.route("/files", methods=["GET", "POST"])
@login_required
def files() -> str | Response:
    """List the user's files and upload a new one."""
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        stored = storage.store_stream(upload.stream)
        db.session.add(
            Attachment(
                user_id=current_user.id,
                original_name=(upload.filename or "file")[:255],
                storage_key=stored.storage_key,
                size=stored.size,
                content_type=(upload.mimetype or "application/octet-stream")[:255],
                sha256=stored.sha256,
            )
        )
        db.session.commit()
        flash("File uploaded.", "info")
        return redirect(url_for("notes.files"))
    page: Page[Attachment] = paginate(Attachment, current_user.id, request.args.get("page"))
    return render_template("notes/files.html", form=form, page=page)


@bp.route("/files/<int:attachment_id>")
@login_required
def download_file(attachment_id: int) -> Response:
    """Send one of the user's files back, always as an attachment."""
    attachment = db.session.scalar(
        sa.select(Attachment).where(
            Attachment.id == attachment_id, Attachment.user_id == current_user.id
        )
    )
    if attachment is None:
        abort(404)
    return send_file(
        storage.upload_path(attachment.storage_key),
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.original_name,
    )
