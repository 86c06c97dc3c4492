"""The job system: request, build, watch and download archives."""

from flask import Blueprint

pages_bp = Blueprint(
    "archives_pages", __name__, url_prefix="/archives", template_folder="templates"
)
api_bp = Blueprint("archives_api", __name__, url_prefix="/api/archives")

from webapp.archives import api, views  # noqa: E402,F401
