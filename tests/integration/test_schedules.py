"""Scheduled exports with a compressed clock: beat's runs are driven by `now`, never by sleeping."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.support.http import api, csrf_token, sign_up
from tests.support.jobs import wait_for_job
from webapp.archives import schedules
from webapp.archives.beat import run_schedules
from webapp.archives.models import ArchiveJob
from webapp.auth.activity import record
from webapp.auth.models import ActivityEvent
from webapp.extensions import db

MONTH = 3600.0  # a schedule's month lasts an hour of the compressed clock


def start(app: Flask, client: FlaskClient, every: int = 1, **extra: Any) -> datetime:
    """Sign up and start a schedule through the API; return when it starts."""
    app.config["ARCHIVE_SCHEDULE_MONTH_SECONDS"] = MONTH
    sign_up(client, "scheduled@example.com")
    response = api(client, "PUT", "/api/archives/schedule", json={"every_months": every, **extra})
    assert response.status_code == 200, response.json
    return datetime.fromisoformat(response.json["schedule"]["starts_at"])


def beat(app: Flask, at: datetime) -> schedules.RunReport:
    """One pass of beat over the due schedules at the given moment."""
    with app.app_context():
        return schedules.run_due(at)


def month(starts: datetime, months: float) -> datetime:
    return starts + timedelta(seconds=MONTH * months)


def finish_all(app: Flask) -> list[ArchiveJob]:
    """Wait for every job to end; return them oldest first."""
    with app.app_context():
        ids = [str(i) for i in db.session.scalars(sa.select(ArchiveJob.id))]
    return sorted((wait_for_job(app, i) for i in ids), key=lambda job: job.requested_at)


def kinds(app: Flask, kind: str) -> list[str | None]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(ActivityEvent.detail)
                .where(ActivityEvent.kind == kind)
                .order_by(ActivityEvent.id)
            )
        )


def test_three_periods_make_three_archives_each_in_the_activity_trail(
    clean_state: Flask, worker: Any, client: FlaskClient
) -> None:
    starts = start(clean_state, client)
    made = []
    for period in range(3):
        moment = month(starts, period) + timedelta(seconds=1)
        assert beat(clean_state, moment) == schedules.RunReport(requested=1)
        assert beat(clean_state, moment) == schedules.RunReport()  # the same run is made once
        made = finish_all(clean_state)
    assert [job.status for job in made] == ["succeeded"] * 3
    runs = kinds(clean_state, "schedule_run")
    assert runs == [str(job.id) for job in made]
    shown = api(client, "GET", "/api/archives/schedule").json["schedule"]
    assert shown["runs"] == 3 and shown["next_run_at"] == month(starts, 3).isoformat()


def test_an_incremental_schedule_makes_a_chain_of_its_own_selection(
    clean_state: Flask, worker: Any, client: FlaskClient
) -> None:
    starts = start(clean_state, client, incremental=True, sections=["notes"])
    made = []
    for period in range(3):
        assert beat(clean_state, month(starts, period) + timedelta(seconds=1)).requested == 1
        made = finish_all(clean_state)
    assert [job.status for job in made] == ["succeeded"] * 3
    # The first run starts the chain; each later one continues the run before it.
    assert [job.continues_id for job in made] == [None, made[0].id, made[1].id]
    assert [job.continues_sha256 for job in made[1:]] == [made[0].sha256, made[1].sha256]
    assert all(job.selection["sections"] == ["profile", "notes"] for job in made)
    shown = api(client, "GET", "/api/archives/schedule").json["schedule"]
    assert shown["selection"]["incremental"] is True


def test_a_stopped_schedule_makes_no_archive(
    clean_state: Flask, worker: Any, client: FlaskClient
) -> None:
    starts = start(clean_state, client)
    assert api(client, "DELETE", "/api/archives/schedule").status_code == 204
    for period in range(4):
        assert beat(clean_state, month(starts, period + 0.5)) == schedules.RunReport()
    assert finish_all(clean_state) == []
    assert api(client, "GET", "/api/archives/schedule").json == {"schedule": None}
    assert api(client, "DELETE", "/api/archives/schedule").status_code == 404
    assert kinds(clean_state, "schedule_stopped") == ["after 0 runs"]


def test_missed_periods_are_caught_up_once(
    clean_state: Flask, worker: Any, client: FlaskClient
) -> None:
    starts = start(clean_state, client)
    assert beat(clean_state, starts).requested == 1
    finish_all(clean_state)
    # Beat was down for three periods; when it returns it makes one run, not three.
    late = month(starts, 3.5)
    assert beat(clean_state, late) == schedules.RunReport(requested=1)
    assert beat(clean_state, late + timedelta(seconds=5)) == schedules.RunReport()
    assert len(finish_all(clean_state)) == 2
    shown = api(client, "GET", "/api/archives/schedule").json["schedule"]
    assert shown["next_run_at"] == month(starts, 4).isoformat()


def test_a_run_during_an_active_job_reuses_it_and_one_in_a_cooldown_waits(
    clean_state: Flask, paused_worker: Any, client: FlaskClient
) -> None:
    starts = start(clean_state, client)
    assert api(client, "POST", "/api/archives").status_code == 202
    assert beat(clean_state, starts) == schedules.RunReport(already_active=1)
    with clean_state.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ArchiveJob)) == 1
        job = db.session.scalars(sa.select(ArchiveJob)).one()
        db.session.execute(
            sa.update(ArchiveJob).values(status="succeeded", finished_at=sa.func.now())
        )
        # The cooldown counts from the trail's archive_succeeded, as the success transition writes.
        record(job.user_id, "archive_succeeded", str(job.id))
        db.session.commit()
    clean_state.config["ARCHIVE_COOLDOWN"] = 600
    assert beat(clean_state, month(starts, 1)) == schedules.RunReport(postponed=1)
    shown = api(client, "GET", "/api/archives/schedule").json["schedule"]
    assert shown["runs"] == 1 and datetime.fromisoformat(shown["next_run_at"]) > month(starts, 1)
    assert kinds(clean_state, "schedule_postponed")


def test_every_three_months_runs_four_times_in_the_year(
    clean_state: Flask, paused_worker: Any, client: FlaskClient
) -> None:
    starts = start(clean_state, client, every=3)
    for period in (0, 3, 6, 9):
        assert beat(clean_state, month(starts, period)).requested == 1
        with clean_state.app_context():
            db.session.execute(sa.update(ArchiveJob).values(status="cancelled"))
            db.session.commit()
    shown = api(client, "GET", "/api/archives/schedule").json["schedule"]
    assert shown["runs"] == 4 and shown["next_run_at"] is None
    assert beat(clean_state, month(starts, 12)) == schedules.RunReport()


def test_beat_task_on_the_real_worker_requests_a_due_run(
    clean_state: Flask, worker: Any, client: FlaskClient
) -> None:
    start(clean_state, client, incremental=True)
    run_schedules.delay()
    deadline = time.monotonic() + 30
    while not kinds(clean_state, "schedule_run"):  # poll the trail the task writes
        assert time.monotonic() < deadline, "beat's task made no run"
        time.sleep(0.1)
    assert [job.status for job in finish_all(clean_state)] == ["succeeded"]


def test_bad_schedules_are_refused_with_a_message(clean_state: Flask, client: FlaskClient) -> None:
    sign_up(client, "picky@example.com")
    for body in (
        {"every_months": 4},
        {"every_months": "1"},
        {"every_months": 1, "incremental": 2},
        {"every_months": 1, "sections": ["secrets"]},
    ):
        response = api(client, "PUT", "/api/archives/schedule", json=body)
        assert response.status_code == 400 and response.json["error"] == "invalid_schedule"
    response = api(client, "PUT", "/api/archives/schedule", data="nope")
    assert response.status_code == 400
    assert api(client, "GET", "/api/archives/schedule").json == {"schedule": None}


def test_the_page_starts_changes_and_stops_a_schedule(
    clean_state: Flask, client: FlaskClient
) -> None:
    sign_up(client, "page@example.com")
    page = client.get("/archives/schedule").get_data(as_text=True)
    assert "Start scheduled exports" in page
    token = csrf_token(client, "/archives/schedule")
    client.post("/archives/schedule", data={"every_months": "2", "csrf_token": token})
    page = client.get("/archives/schedule").get_data(as_text=True)
    assert "Every 2 months" in page and "everything" in page
    client.post(
        "/archives/schedule", data={"every_months": "3", "incremental": "y", "csrf_token": token}
    )
    page = client.get("/archives/schedule").get_data(as_text=True)
    assert "Every 3 months" in page and "only what changed" in page
    client.post("/archives/schedule/stop", data={"csrf_token": token})
    assert "Start scheduled exports" in client.get("/archives/schedule").get_data(as_text=True)
    assert kinds(clean_state, "schedule_changed") == ["every 3 months"]
