"""The auth blueprint, shared by the login pages and the account page."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth", template_folder="templates")
