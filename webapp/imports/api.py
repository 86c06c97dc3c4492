"""The JSON API of imports (DESIGN.md "Moving and leaving")."""

from __future__ import annotations

import uuid

from flask import Blueprint, jsonify, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.archives.access import owned_row
from webapp.auth.session import login_required
from webapp.errors import api_error
from webapp.imports import actions
from webapp.imports.models import ImportJob
from webapp.imports.serialize import import_json
from webapp.imports.upload import UploadRefused, archive_from_request

api_bp = Blueprint("imports_api", __name__, url_prefix="/api/imports")


def owned_import(job_id: uuid.UUID) -> ImportJob:
    """Return the caller's import, or 404 whether it is someone else's or does not exist."""
    return owned_row(ImportJob, job_id)


@api_bp.post("")
@login_required
def create() -> Response | tuple[Response, int, dict[str, str]]:
    """Upload an archive, or its index part and every part (field `archive`): 202 and the job."""
    try:
        with archive_from_request() as files:
            job = actions.start_import(current_user.id, files)
    except UploadRefused as refused:
        return api_error(400, refused.code, refused.message)
    except actions.ImportActive as active:
        return api_error(409, "import_active", active.message)
    location = url_for("imports_api.show", job_id=job.id)
    return jsonify(import_json(job)), 202, {"Location": location}


@api_bp.get("")
@login_required
def index() -> Response:
    """List the caller's imports, newest first."""
    return jsonify(
        {"imports": [import_json(job) for job in actions.recent_imports(current_user.id)]}
    )


@api_bp.get("/<uuid:job_id>")
@login_required
def show(job_id: uuid.UUID) -> Response:
    """Show one of the caller's imports."""
    return jsonify(import_json(owned_import(job_id)))


@api_bp.post("/<uuid:job_id>/cancel")
@login_required
def cancel(job_id: uuid.UUID) -> Response | tuple[Response, int]:
    """Cancel a queued or running import: 202, or 409 when it has already finished."""
    job = owned_import(job_id)
    if not actions.cancel(job):
        return api_error(409, "already_finished", "This import has already finished.")
    return jsonify(import_json(job)), 202
