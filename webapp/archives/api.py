"""The JSON API of archives (DESIGN.md "HTTP interface")."""

from __future__ import annotations

import uuid

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from webapp.archives import actions, serialize, storage
from webapp.archives import estimate as estimates
from webapp.archives.access import owned_job, recent_login_required
from webapp.archives.models import ACTIVE_STATES, ArchiveJob
from webapp.archives.selection import Selection, from_query
from webapp.archives.serialize import job_json
from webapp.auth.activity import record
from webapp.auth.session import login_required
from webapp.errors import api_error
from webapp.extensions import db
from webapp.ops import metrics
from webapp.validation import json_object

api_bp = Blueprint("archives_api", __name__, url_prefix="/api/archives")


@api_bp.post("")
@login_required
@recent_login_required
def create() -> Response | tuple[Response, int] | tuple[Response, int, dict[str, str]]:
    """Request an archive: 202 for a new job, 200 for the active one, 429 over a limit."""
    try:
        selection = Selection.parse(json_object())  # no body: everything, as before
    except ValueError as exc:
        return api_error(400, "invalid_selection", str(exc))
    try:
        job, created = actions.request_archive(current_user.id, selection=selection)
    except actions.RequestRefused as wait:
        return refused_response(wait)
    if not created:
        return jsonify(job_json(job)), 200
    location = url_for("archives_api.show", job_id=job.id)
    return jsonify(job_json(job)), 202, {"Location": location}


@api_bp.get("/estimate")
@login_required
def estimate() -> Response:
    """Estimate a selection's items and uncompressed bytes before the user asks for it."""
    try:
        selection = from_query(request.args.to_dict())
    except ValueError as exc:
        return api_error(400, "invalid_selection", str(exc))
    preview = int(current_app.config["ARCHIVE_PREVIEW_BYTES"])
    answer = estimates.estimate(db.session.connection(), current_user.id, selection, preview)
    return jsonify(answer.to_json())


def refused_response(wait: actions.RequestRefused) -> Response:
    """Answer 429 with Retry-After and why: the cooldown or the daily budget."""
    response = api_error(429, wait.code, wait.message)
    response.headers["Retry-After"] = str(wait.retry_after)
    return response


@api_bp.get("")
@login_required
def index() -> Response:
    """List the caller's archives, newest first."""
    jobs = actions.recent_jobs(current_user.id)
    return jsonify({"archives": [job_json(job) for job in jobs]})


@api_bp.get("/<uuid:job_id>")
@login_required
def show(job_id: uuid.UUID) -> Response:
    """Show one of the caller's jobs."""
    return jsonify(job_json(owned_job(job_id)))


@api_bp.get("/<uuid:job_id>/download")
@login_required
@recent_login_required
def download(job_id: uuid.UUID) -> Response:
    """Send the ZIP (the index part of an archive in parts); Range gives 206."""
    return _send_part(owned_job(job_id), 0)


@api_bp.get("/<uuid:job_id>/parts/<int:index>/download")
@login_required
@recent_login_required
def download_part(job_id: uuid.UUID, index: int) -> Response:
    """Send one part of an archive, with its own Range support and digest."""
    return _send_part(owned_job(job_id), index)


def _send_part(job: ArchiveJob, index: int) -> Response:
    """Authorise, record the download once per fetch, and stream the part's file."""
    if job.status in ACTIVE_STATES:
        return api_error(409, "not_ready", "This archive is still being made.")
    part = serialize.stored_part(job, index)
    if part is None:
        return api_error(404, "no_such_part", "This archive has no such part.")
    if not job.is_downloadable:
        return _gone()
    name = serialize.download_name(job, index)
    try:
        response = storage.download(part["storage_key"], name, part["sha256"])
    except FileNotFoundError:
        return _gone()
    if not request.range or request.range.ranges[0][0] == 0:
        detail = str(job.id) if index == 0 else f"{job.id} part {index}"
        record(current_user.id, "archive_downloaded", detail)
        db.session.commit()
        metrics.downloaded()
    return response


def _gone() -> Response:
    """Answer 410 for an archive whose file is no longer kept."""
    return api_error(
        410,
        "expired",
        "This archive is no longer available. Request a new one from the Archives page.",
    )


@api_bp.post("/<uuid:job_id>/cancel")
@login_required
def cancel(job_id: uuid.UUID) -> Response | tuple[Response, int]:
    """Cancel a queued or running job: 202, or 409 when it has already finished."""
    job = owned_job(job_id)
    if not actions.cancel(job):
        return api_error(409, "already_finished", "This archive has already finished.")
    return jsonify(job_json(job)), 202


@api_bp.delete("/<uuid:job_id>")
@login_required
def delete(job_id: uuid.UUID) -> Response | tuple[str, int]:
    """Delete a finished job and its file: 204, or 409 while it is active."""
    job = owned_job(job_id)
    if not actions.delete(job):
        return api_error(409, "still_active", "Cancel the archive before deleting it.")
    return "", 204
