"""The JSON API of notes and files: create, change and delete, owner-only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.auth.session import login_required
from webapp.notes import actions
from webapp.notes.forms import MAX_BODY, MAX_TITLE
from webapp.notes.models import Note
from webapp.validation import InvalidInput, json_object, json_text

bp = Blueprint("notes_api", __name__, url_prefix="/api")
FIELDS = ("title", "body")


def note_json(note: Note) -> dict[str, Any]:
    """Describe a note with the fields notes.json uses."""
    return {
        "id": note.id,
        "title": note.title,
        "body": note.body,
        "created_at": note.created_at.isoformat(),
        "updated_at": note.updated_at.isoformat(),
    }


def _fields(partial: bool) -> dict[str, str]:
    """Read title and body from the JSON body, as the page's form checks them."""
    data = json_object()
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise InvalidInput(f"Unknown field: {', '.join(unknown)}. A note has a title and a body.")
    if partial and not data:
        raise InvalidInput("Nothing to change: send a title, a body or both.")
    fields: dict[str, str] = {}
    if not partial or "title" in data:
        title = json_text(data, "title", max_length=MAX_TITLE) or ""
        if not title.strip():
            raise InvalidInput("title cannot be blank.")
        fields["title"] = title
    if "body" in data:
        if data["body"] is None:
            raise InvalidInput("body must be a string.")
        body = json_text(data, "body", max_length=MAX_BODY, required=False, line_breaks=True)
        fields["body"] = body or ""
    return fields


def _owned_note(note_id: int) -> Note:
    """The caller's note, or 404 whether it is someone else's or does not exist."""
    return actions.owned_note(current_user.id, note_id) or abort(404)


@bp.post("/notes")
@login_required
def create_note() -> tuple[Response, int, dict[str, str]] | Response:
    """Keep a new note: 201 with its Location; 403 quota_exceeded past QUOTA_NOTES."""
    fields = _fields(partial=False)
    note = actions.create_note(current_user.id, fields["title"], fields.get("body", ""))
    location = url_for("notes_api.show_note", note_id=note.id)
    return jsonify(note_json(note)), 201, {"Location": location}


@bp.get("/notes/<int:note_id>")
@login_required
def show_note(note_id: int) -> Response:
    """Show one of the caller's notes."""
    return jsonify(note_json(_owned_note(note_id)))


@bp.patch("/notes/<int:note_id>")
@login_required
def update_note(note_id: int) -> Response:
    """Change a note's title and/or body."""
    note = _owned_note(note_id)
    fields = _fields(partial=True)
    return jsonify(note_json(actions.update_note(note, fields.get("title"), fields.get("body"))))


@bp.delete("/notes/<int:note_id>")
@login_required
def delete_note(note_id: int) -> tuple[str, int]:
    """Delete a note: 204."""
    actions.delete_note(_owned_note(note_id))
    return "", 204


@bp.delete("/files/<int:attachment_id>")
@login_required
def delete_file(attachment_id: int) -> tuple[str, int]:
    """Delete a file: 204; its bytes go once no running build needs them."""
    attachment = actions.owned_file(current_user.id, attachment_id) or abort(404)
    actions.delete_file(attachment)
    return "", 204
