"""The user's data: notes and uploaded files."""

from flask import Blueprint

bp = Blueprint("notes", __name__, template_folder="templates")

from webapp.notes import views  # noqa: E402,F401
