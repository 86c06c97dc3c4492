"""Accounts: register, log in, log out, re-authenticate."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth", template_folder="templates")

from webapp.auth import views  # noqa: E402,F401
