"""The admin dashboard: numbers that match the rows, timelines, bulk retry, exports for users."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from tests.support.admin import ADMIN_EMAIL, admin_client, insert_job, user_id
from tests.support.http import csrf_token, sign_up
from tests.support.jobs import wait_for_job
from tests.support.settings import LARGE_QUEUE, QUEUE
from webapp.archives.models import ArchiveJob
from webapp.auth.models import ActivityEvent
from webapp.extensions import db


def admin_routes(app: Flask) -> list[tuple[str, str]]:
    """Every (method, concrete path) under /admin, with made-up ids in the placeholders."""
    fill = {"uuid": "0b4f8c1e-0000-4000-8000-000000000000", "int": "1"}
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        path = re.sub(r"<(\w+):\w+>", lambda m: fill[m.group(1)], rule.rule)
        routes += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes


@pytest.mark.parametrize("logged_in", [True, False], ids=["user", "anonymous"])
def test_every_admin_route_answers_404_to_non_admins(
    clean_state: Flask, client: FlaskClient, logged_in: bool
) -> None:
    if logged_in:
        sign_up(client, "someone@example.com")
    token = csrf_token(client, "/auth/login")
    routes = admin_routes(clean_state)
    assert len(routes) >= 9 and ("GET", "/admin/api/overview") in routes
    for method, path in routes:
        response = client.open(path, method=method, data={"csrf_token": token})
        assert response.status_code == 404, (method, path)
        if "/api/" in path:
            assert response.json == {"error": "not_found", "message": response.json["message"]}


def test_overview_counts_equal_the_rows(clean_state: Flask, runner: FlaskCliRunner) -> None:
    admin = admin_client(clean_state, runner)
    client = clean_state.test_client()
    sign_up(client, "someone@example.com")
    uid = user_id(clean_state, "someone@example.com")
    insert_job(clean_state, uid, "queued", minutes_ago=30)
    insert_job(clean_state, uid, "succeeded", minutes_ago=10, size=10)
    insert_job(clean_state, uid, "failed", minutes_ago=20, error_code="disk_full")
    insert_job(clean_state, uid, "failed", minutes_ago=300, error_code="time_limit")
    insert_job(clean_state, uid, "failed", minutes_ago=3000, error_code="time_limit")  # > 1 day

    data = admin.get("/admin/api/overview").json

    assert data["statuses"] == {
        "queued": 1,
        "running": 0,
        "succeeded": 1,
        "failed": 3,
        "cancelled": 0,
        "expired": 0,
    }
    assert data["queues"] == {QUEUE: 1, LARGE_QUEUE: 0}  # a job from before estimates is small
    assert 29 * 60 < data["oldest_queued_seconds"] < 31 * 60
    hour, day = data["windows"]["hour"], data["windows"]["day"]
    assert (hour["finished"], hour["failed"], hour["failures_by_code"]) == (2, 1, {"disk_full": 1})
    assert hour["failure_rate"] == 0.5
    assert day["failures_by_code"] == {"disk_full": 1, "time_limit": 1}
    page = admin.get("/admin").get_data(as_text=True)
    assert "disk_full" in page and "Failed jobs (3)" in page


def test_timeline_shows_each_attempt_with_worker_and_duration(
    clean_state: Flask, worker: Any, runner: FlaskCliRunner
) -> None:
    admin = admin_client(clean_state, runner)
    user = clean_state.test_client()
    sign_up(user, "someone@example.com")
    token = csrf_token(user, "/notes")
    job_id = user.post("/api/archives", headers={"X-CSRFToken": token}).json["id"]
    wait_for_job(clean_state, job_id)

    timeline = admin.get(f"/admin/api/archives/{job_id}").json["timeline"]

    whats = [entry["what"] for entry in timeline]
    assert whats == ["Requested", "Attempt 1", "Ended succeeded"]
    attempt = timeline[1]
    # The in-thread test worker reports its host; a real worker its node name (see tests/faults).
    assert attempt["worker"] and attempt["worker"] in worker.hostname
    assert attempt["detail"] == "succeeded"
    assert attempt["seconds"] is not None and attempt["seconds"] >= 0
    page = admin.get(f"/admin/archives/{job_id}").get_data(as_text=True)
    assert attempt["worker"] in page and "Ended succeeded" in page


def test_bulk_retry_requeues_failed_jobs_and_names_the_admin(
    clean_state: Flask, runner: FlaskCliRunner
) -> None:
    admin = admin_client(clean_state, runner)
    failed = []
    for n in range(3):
        sign_up(clean_state.test_client(), f"user{n}@example.com")
        uid = user_id(clean_state, f"user{n}@example.com")
        failed.append(insert_job(clean_state, uid, "failed", error_code="disk_full"))
    busy = user_id(clean_state, "user2@example.com")
    insert_job(clean_state, busy, "queued")  # one active job per user: this retry must wait

    response = admin.post(
        "/admin/archives/retry",
        data={"job_id": [*failed, "not-a-uuid"], "csrf_token": csrf_token(admin, "/admin")},
    )

    assert response.status_code == 302
    with clean_state.app_context():
        statuses = {
            str(job_id): status
            for job_id, status in db.session.execute(sa.select(ArchiveJob.id, ArchiveJob.status))
        }
        trail = db.session.scalars(
            sa.select(ActivityEvent.detail).where(ActivityEvent.kind == "admin_retry")
        ).all()
    # Requeued (a running worker may already be building them); the busy user's stays failed.
    assert [statuses[j] != "failed" for j in failed] == [True, True, False]
    assert sorted(trail) == sorted(f"{j} by {ADMIN_EMAIL}" for j in failed[:2])
    page = admin.get("/admin").get_data(as_text=True)
    assert "Requeued 2 failed jobs. 1 could not be" in page


def test_admin_requests_an_export_on_a_users_behalf(
    clean_state: Flask, runner: FlaskCliRunner
) -> None:
    admin = admin_client(clean_state, runner)
    sign_up(clean_state.test_client(), "someone@example.com")
    uid = user_id(clean_state, "someone@example.com")
    found = admin.get("/admin/users?email=SOMEONE").get_data(as_text=True)
    assert "someone@example.com" in found and "Request an export" in found

    admin.post(f"/admin/users/{uid}/archives", data={"csrf_token": csrf_token(admin, "/admin")})

    with clean_state.app_context():
        job = db.session.scalar(sa.select(ArchiveJob).where(ArchiveJob.user_id == uid))
        assert job is not None and job.status in ("queued", "running", "succeeded")
        detail = db.session.scalar(
            sa.select(ActivityEvent.detail).where(ActivityEvent.kind == "admin_export_requested")
        )
    assert detail == f"{job.id} by {ADMIN_EMAIL}"
