"""List, add, edit and delete notes; list, upload, fetch and delete files."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from webapp.archives.builder.names import safe_file_name
from webapp.auth.session import login_required
from webapp.extensions import db
from webapp.formatting import filesize
from webapp.notes import actions, quotas, storage
from webapp.notes.forms import NoteForm, UploadForm
from webapp.notes.models import Attachment, Note
from webapp.validation import requested_page

bp = Blueprint("notes", __name__, template_folder="templates")
PER_PAGE = 50


def _newest_first(model: type[Note] | type[Attachment]) -> Pagination:
    """One page of the user's rows; a page past the end is empty, a bad number a 400."""
    rows = sa.select(model).where(model.user_id == current_user.id).order_by(model.id.desc())
    return db.paginate(rows, page=requested_page(), per_page=PER_PAGE, error_out=False)


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
        try:
            actions.create_note(current_user.id, form.title.data, form.body.data or "")
        except quotas.QuotaReached as full:
            form.form_errors.append(full.message)
        else:
            flash("Note saved.", "success")
            return redirect(url_for("notes.index"))
    return render_template("notes/index.html", form=form, page=_newest_first(Note))


@bp.route("/notes/<int:note_id>/edit", methods=["GET", "POST"])
@login_required
def edit_note(note_id: int) -> str | Response:
    """Change one of the user's notes."""
    note = actions.owned_note(current_user.id, note_id) or abort(404)
    form = NoteForm(obj=note)
    if form.validate_on_submit():
        actions.update_note(note, form.title.data, form.body.data or "")
        flash("Note updated.", "success")
        return redirect(url_for("notes.index"))
    return render_template("notes/edit.html", form=form, note=note)


@bp.route("/notes/<int:note_id>/delete", methods=["GET", "POST"])
@login_required
def delete_note(note_id: int) -> str | Response:
    """Ask before deleting one of the user's notes, since a deleted note cannot come back."""
    note = actions.owned_note(current_user.id, note_id) or abort(404)
    form = FlaskForm()
    if not form.validate_on_submit():
        return render_template("notes/delete_note.html", form=form, note=note)
    title = note.title
    actions.delete_note(note)
    flash(Markup("Deleted the note <bdi>{}</bdi>.").format(title), "success")
    return redirect(url_for("notes.index"))


@bp.route("/files", methods=["GET", "POST"])
@login_required
def files() -> str | Response:
    """List the user's files and upload a new one."""
    form = UploadForm()
    if form.validate_on_submit():
        try:
            _keep_upload(form)
        except quotas.QuotaReached as full:
            form.file.errors.append(full.message)
        else:
            flash("File uploaded.", "success")
            return redirect(url_for("notes.files"))
    return _files_page(form)


def _files_page(form: UploadForm) -> str:
    """Render the files list with the upload form (and its errors, if any)."""
    return render_template("notes/files.html", form=form, page=_newest_first(Attachment))


@bp.errorhandler(RequestEntityTooLarge)
def upload_too_large(error: RequestEntityTooLarge) -> tuple[str, int] | RequestEntityTooLarge:
    """Show a too-large upload as an error on the upload form rather than a bare 413 page."""
    if request.endpoint != "notes.files" or not current_user.is_authenticated:
        return error
    # The form was not read (that is what the limit prevents), so its CSRF check never ran;
    # this answer changes nothing and only explains the refusal.
    form = UploadForm(formdata=None)
    limit = filesize(current_app.config["MAX_CONTENT_LENGTH"])
    form.file.errors = [f"That file is larger than the upload limit ({limit}); nothing was saved."]
    return _files_page(form), 413


def _keep_upload(form: UploadForm) -> None:
    """Store the bytes and their row, within the quotas; a refused upload leaves no file."""
    quotas.check_upload(current_user.id)  # full already: refuse before storing anything
    upload = form.file.data
    with storage.stored_upload(upload.stream) as stored:
        quotas.reserve_upload(current_user.id, stored.size)
        db.session.add(
            Attachment(
                user_id=current_user.id,
                original_name=upload.filename or "file",
                storage_key=stored.key,
                size=stored.size,
                content_type=form.content_type(),
                sha256=stored.sha256,
                crc32=stored.crc32,
            )
        )
        db.session.commit()


@bp.route("/files/<int:attachment_id>/delete", methods=["GET", "POST"])
@login_required
def delete_file(attachment_id: int) -> str | Response:
    """Ask before deleting one of the user's files, since a deleted file cannot come back."""
    attachment = actions.owned_file(current_user.id, attachment_id) or abort(404)
    form = FlaskForm()
    if not form.validate_on_submit():
        return render_template("notes/delete_file.html", form=form, file=attachment)
    name = safe_file_name(attachment.original_name)
    actions.delete_file(attachment)
    flash(Markup("Deleted the file <bdi>{}</bdi>.").format(name), "success")
    return redirect(url_for("notes.files"))


@bp.route("/files/<int:attachment_id>")
@login_required
def download_file(attachment_id: int) -> Response:
    """Send one of the user's files back, always as an attachment."""
    attachment = actions.owned_file(current_user.id, attachment_id) or abort(404)
    try:
        return storage.download(
            attachment.storage_key, attachment.original_name, attachment.content_type
        )
    except FileNotFoundError:
        abort(404)
