"""Scheduled exports in the API and on a page: see, start or change, stop."""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice

from webapp.archives import schedules
from webapp.archives.access import recent_login_required
from webapp.archives.api import api_bp
from webapp.archives.schedule_model import EVERY_MONTHS, ArchiveSchedule
from webapp.archives.selection import Selection
from webapp.archives.serialize import iso
from webapp.archives.views import pages_bp
from webapp.auth.session import login_required
from webapp.errors import api_error


class ScheduleForm(FlaskForm):  # type: ignore[misc]
    """How often to export, and whether each export holds only what changed."""

    every_months = SelectField(
        "Export every",
        choices=[SelectChoice(n, f"{n} month{'s' if n > 1 else ''}") for n in EVERY_MONTHS],
        coerce=int,
    )
    incremental = BooleanField("Only what changed since the previous archive")


def schedule_json(schedule: ArchiveSchedule | None) -> dict[str, Any] | None:
    """Describe a schedule for the API and the page."""
    if schedule is None:
        return None
    return {
        "every_months": schedule.every_months,
        "selection": schedule.selection,
        "starts_at": iso(schedule.starts_at),
        "ends_at": iso(schedule.ends_at),
        "next_run_at": iso(schedule.next_run_at),
        "last_run_at": iso(schedule.last_run_at),
        "runs": schedule.runs,
    }


def _selection(fields: dict[str, Any]) -> dict[str, Any]:
    """The selection each scheduled run asks for, as a request's body spells it."""
    return Selection.parse(fields).to_json()


@api_bp.get("/schedule")
@login_required
def show_schedule() -> Response:
    """The caller's schedule, or null."""
    return jsonify({"schedule": schedule_json(schedules.of_user(current_user.id))})


@api_bp.put("/schedule")
@login_required
@recent_login_required
def save_schedule() -> Response:
    """Start or change the caller's schedule: JSON {"every_months"} and a selection's fields."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return api_error(400, "invalid_schedule", 'Send JSON like {"every_months": 1}.')
    every = body.pop("every_months", None)
    if not isinstance(every, int) or isinstance(every, bool):
        return api_error(400, "invalid_schedule", "every_months is 1, 2 or 3.")
    try:
        schedule = schedules.save(current_user.id, every, _selection(body))
    except ValueError as exc:
        return api_error(400, "invalid_schedule", str(exc))
    return jsonify({"schedule": schedule_json(schedule)})


@api_bp.delete("/schedule")
@login_required
def stop_schedule() -> Response | tuple[str, int]:
    """Stop the caller's schedule: 204, or 404 when there is none."""
    if not schedules.stop(current_user.id):
        return api_error(404, "no_schedule", "You have no scheduled exports.")
    return "", 204


@pages_bp.route("/schedule", methods=["GET", "POST"])
@login_required
@recent_login_required
def schedule_page() -> str | Response:
    """See the schedule, start or change it."""
    schedule = schedules.of_user(current_user.id)
    form = ScheduleForm()
    if form.validate_on_submit():
        chosen = _selection({"incremental": form.incremental.data})
        schedules.save(current_user.id, form.every_months.data, chosen)
        flash("Your scheduled exports are saved.", "info")
        return redirect(url_for("archives_pages.schedule_page"))
    if schedule is not None and request.method == "GET":
        form.every_months.data = schedule.every_months
        form.incremental.data = bool(schedule.selection.get("incremental"))
    return render_template(
        "archives/schedule.html", form=form, schedule=schedule_json(schedule), stop=FlaskForm()
    )


@pages_bp.post("/schedule/stop")
@login_required
def stop_schedule_page() -> Response:
    """Stop from the page."""
    if FlaskForm().validate_on_submit():
        stopped = schedules.stop(current_user.id)
        flash("Scheduled exports stopped." if stopped else "There was no schedule.", "info")
    return redirect(url_for("archives_pages.schedule_page"))
