"""Accounts: register, log in, log out, re-authenticate."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth", template_folder="templates")

from webapp.auth import account_page, views  # noqa: E402,F401
