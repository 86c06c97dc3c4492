"""The Archives page: choose, see the estimate, request, watch, cancel, delete."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from webapp.archives import actions, wording
from webapp.archives.access import owned_job, recent_login_required
from webapp.archives.estimate import estimate
from webapp.archives.selection import FIELDS, SECTION_NAMES, Selection
from webapp.archives.serialize import job_json
from webapp.auth import intent
from webapp.auth.session import login_required
from webapp.extensions import db
from webapp.formatting import duration, moment
from webapp.types import utcnow

START_DOWNLOAD = "start_download"
# The selection last estimated on the page, so a request resumed after the password keeps it.
CHOSEN = "archive_selection"

pages_bp = Blueprint(
    "archives_pages", __name__, url_prefix="/archives", template_folder="templates"
)


def form_selection(fields: MultiDict[str, str]) -> Selection:
    """Read the page's checkboxes and dates; a page opened without them means everything."""
    if not any(name in fields for name in FIELDS):
        return Selection.everything()
    return Selection.parse(
        {
            "sections": fields.getlist("sections"),
            "since": fields.get("since") or None,
            "until": fields.get("until") or None,
            "incremental": fields.get("incremental") == "true",
        }
    )


def _as_typed(fields: MultiDict[str, str]) -> dict[str, Any]:
    """The choice as the user typed it, shown again beside what is wrong with it."""
    return {
        "sections": ["profile", *fields.getlist("sections")],
        "since": fields.get("since", ""),
        "until": fields.get("until", ""),
        "incremental": fields.get("incremental") == "true",
    }


def _in_page_words(problem: str) -> str:
    """Name the date fields as the page labels them, not as the API does."""
    return problem.replace("'since'", "“On or after”").replace("'until'", "“Before”")


def _choice() -> dict[str, Any]:
    """The selection form's state: the choice in the query string, its estimate or its error."""
    try:
        selection = form_selection(request.args)
    except ValueError as exc:
        return {
            "choices": SECTION_NAMES,
            "selection": _as_typed(request.args),
            "estimate": None,
            "problem": _in_page_words(str(exc)),
        }
    session[CHOSEN] = selection.to_json()
    rows = int(current_app.config["ARCHIVE_PREVIEW_BYTES"])
    return {
        "choices": SECTION_NAMES,
        "selection": selection.to_json(),
        "estimate": estimate(db.session.connection(), current_user.id, selection, rows),
        "problem": None,
    }


def _request_panel(user_id: int) -> dict[str, Any]:
    """Say whether a new request is possible now, and if not, why and from when."""
    if actions.active_job(user_id) is not None:
        return {"state": "busy", "reason": "Your archive is being made; one at a time."}
    wait, opening = actions.cooldown_remaining(user_id), "You can request a new archive"
    if not wait:
        wait = actions.daily_budget_remaining(user_id)
        limit = current_app.config["ARCHIVE_REQUESTS_PER_DAY"]
        opening = f"You have made {limit} requests in 24 hours; you can make the next"
    if wait:
        at = moment(utcnow() + timedelta(seconds=wait))
        return {
            "state": "cooldown",
            "reason": f"{opening} from {at}, in about {duration(wait)}.",
            "refresh_in": wait,
        }
    return {"state": "open", "reason": ""}


def _live_context() -> dict[str, Any]:
    """Everything the live part of the page shows: the request button and the cards."""
    jobs = [job_json(job) for job in actions.recent_jobs(current_user.id)]
    return {
        "jobs": jobs,
        "panel": _request_panel(current_user.id),
        "form": FlaskForm(),
        "wording": wording,
    }


@pages_bp.get("")
@login_required
def index() -> str:
    """Show the user's archives with live progress."""
    start = session.pop(START_DOWNLOAD, None)
    download = url_for("archives_api.download", job_id=start) if start else None
    return render_template(
        "archives/index.html", start_download=download, **_choice(), **_live_context()
    )


@pages_bp.get("/live")
@login_required
def live() -> str:
    """The request button and job cards alone, which the page's script fetches to update."""
    return render_template("archives/_live.html", **_live_context())


def _request_and_say(selection: Selection) -> Response:
    """Request an archive of the selection and tell the user what happened."""
    try:
        _, created = actions.request_archive(current_user.id, selection=selection)
        flash(
            "Archive requested: it appears below and shows its progress as it is made."
            if created
            else "Your archive is already being made: its progress is below.",
            "success" if created else "info",
        )
    except actions.RequestRefused as wait:
        flash(wait.message, "error")
    return redirect(url_for("archives_pages.index"))


@pages_bp.post("")
@login_required
@recent_login_required
def request_archive() -> Response:
    """Request the archive the user chose and saw estimated."""
    if FlaskForm().validate_on_submit():
        try:
            selection = form_selection(request.form)
        except ValueError as exc:
            # Back to the choice as it was sent, so the user corrects it rather than retypes it.
            flash(_in_page_words(str(exc)), "error")
            chosen: dict[str, Any] = {name: request.form.getlist(name) for name in FIELDS}
            return redirect(url_for("archives_pages.index", **chosen))
        return _request_and_say(selection)
    return redirect(url_for("archives_pages.index"))


@intent.continues("archives_pages.request_archive", "request your archive")
def continue_request(args: dict[str, str]) -> Response:
    """Make the request the password interrupted."""
    flash("Password confirmed.", "info")
    return _request_and_say(Selection.parse(session.get(CHOSEN)))


@intent.continues("archives_api.download", "download your archive")
def continue_download(args: dict[str, str]) -> Response:
    """Start the download the password interrupted, from the Archives page."""
    job = owned_job(uuid.UUID(args["job_id"]))
    session[START_DOWNLOAD] = str(job.id)
    flash("Password confirmed. Your download is starting.", "success")
    return redirect(url_for("archives_pages.index"))


@pages_bp.post("/<uuid:job_id>/cancel")
@login_required
def cancel(job_id: uuid.UUID) -> Response:
    """Cancel from the page."""
    if FlaskForm().validate_on_submit():
        if actions.cancel(owned_job(job_id)):
            flash("Cancelling: the archive stops at the next safe point.", "info")
        else:
            flash("That archive has already finished.", "error")
    return redirect(url_for("archives_pages.index"))


@pages_bp.post("/<uuid:job_id>/delete")
@login_required
def delete(job_id: uuid.UUID) -> Response:
    """Delete from the page, after the card's confirmation, and say what is gone."""
    if FlaskForm().validate_on_submit():
        job = owned_job(job_id)
        requested = moment(job.requested_at)
        if actions.delete(job):
            flash(f"Deleted the archive requested {requested}; its file is gone.", "success")
        else:
            flash("Cancel the archive before deleting it.", "error")
    return redirect(url_for("archives_pages.index"))
