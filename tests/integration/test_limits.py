"""Limits that cannot be walked around: cooldown, daily budget and quotas."""

from __future__ import annotations

import io
import os
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.support.http import api, csrf_token, sign_up
from tests.support.jobs import wait_for_job
from webapp.archives import transitions
from webapp.auth.accounts import find_user
from webapp.extensions import db
from webapp.notes.models import Attachment, Note


def _request(client: FlaskClient) -> Any:
    return api(client, "POST", "/api/archives")


def test_delete_and_request_answers_429_within_the_cooldown(
    clean_state: Flask, worker: Any
) -> None:
    clean_state.config["ARCHIVE_COOLDOWN"] = 3600
    client = clean_state.test_client()
    sign_up(client, "deleter@example.com")
    job_id = _request(client).json["id"]
    assert wait_for_job(clean_state, job_id).status == "succeeded"
    assert api(client, "DELETE", f"/api/archives/{job_id}").status_code == 204
    again = _request(client)
    assert again.status_code == 429 and again.json["error"] == "cooldown"
    assert 3500 < int(again.headers["Retry-After"]) <= 3601


def test_cancel_and_request_answers_429_once_the_budget_is_spent(
    clean_state: Flask, paused_worker: Any
) -> None:
    clean_state.config["ARCHIVE_REQUESTS_PER_DAY"] = 3
    client = clean_state.test_client()
    sign_up(client, "looper@example.com")
    for _ in range(3):
        created = _request(client)
        assert created.status_code == 202
        job = created.json["id"]
        assert api(client, "POST", f"/api/archives/{job}/cancel").status_code == 202
        assert api(client, "DELETE", f"/api/archives/{job}").status_code == 204
    refused = _request(client)
    assert refused.status_code == 429 and refused.json["error"] == "daily_limit"
    assert "3 archives in the last 24 hours" in refused.json["message"]
    assert 86000 < int(refused.headers["Retry-After"]) <= 86400
    page = client.post("/archives", data={"csrf_token": csrf_token(client, "/archives")})
    assert page.status_code == 302
    assert "3 archives in the last 24 hours" in client.get("/archives").get_data(as_text=True)


def test_failures_that_are_keepsakes_own_do_not_count(
    clean_state: Flask, paused_worker: Any
) -> None:
    clean_state.config["ARCHIVE_REQUESTS_PER_DAY"] = 1
    client = clean_state.test_client()
    sign_up(client, "unlucky@example.com")
    lost = _request(client).json["id"]
    with clean_state.app_context():
        user = find_user("unlucky@example.com")
        assert user is not None
        claim = transitions.claim(user.id, lease_seconds=60)
        assert claim is not None and str(claim.job_id) == lost
        assert transitions.fail(claim, "worker_lost", transitions.WORKER_LOST)
    retried = _request(client)
    assert retried.status_code == 202
    assert api(client, "POST", f"/api/archives/{retried.json['id']}/cancel").status_code == 202
    assert _request(client).status_code == 429


def _note(client: FlaskClient, title: str) -> Any:
    token = csrf_token(client, "/notes")
    return client.post("/notes", data={"title": title, "body": "", "csrf_token": token})


def _upload(client: FlaskClient, size: int) -> Any:
    data = {"file": (io.BytesIO(b"x" * size), "f.bin"), "csrf_token": csrf_token(client, "/files")}
    return client.post("/files", data=data, content_type="multipart/form-data")


def _stored(app: Flask) -> int:
    return sum(len(names) for _, _, names in os.walk(app.config["UPLOAD_DIR"]))


def _rows(app: Flask, model: type[Note] | type[Attachment]) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_note_quota_is_reached_with_a_clear_message_and_nothing_written(
    clean_state: Flask,
) -> None:
    clean_state.config["QUOTA_NOTES"] = 2
    client = clean_state.test_client()
    sign_up(client, "notes-quota@example.com")
    assert [_note(client, "one").status_code, _note(client, "two").status_code] == [302, 302]
    refused = _note(client, "three")
    assert refused.status_code == 200
    page = refused.get_data(as_text=True)
    assert "You have reached the limit of 2 notes an account can keep" in page
    assert _rows(clean_state, Note) == 2


def test_upload_past_the_byte_quota_is_refused_and_leaves_no_file(clean_state: Flask) -> None:
    clean_state.config["QUOTA_BYTES"] = 1000
    client = clean_state.test_client()
    sign_up(client, "bytes-quota@example.com")
    assert _upload(client, 600).status_code == 302
    refused = _upload(client, 600)
    assert refused.status_code == 200
    page = refused.get_data(as_text=True)
    assert "may take 1,000 bytes in all and already take 600 bytes; this one (600 bytes)" in page
    assert _rows(clean_state, Attachment) == 1 and _stored(clean_state) == 1


def test_upload_past_the_file_quota_is_refused_before_storing(clean_state: Flask) -> None:
    clean_state.config["QUOTA_FILES"] = 1
    client = clean_state.test_client()
    sign_up(client, "files-quota@example.com")
    assert _upload(client, 10).status_code == 302
    refused = _upload(client, 10)
    page = refused.get_data(as_text=True)
    assert "You have reached the limit of 1 files an account can keep" in page
    assert _rows(clean_state, Attachment) == 1 and _stored(clean_state) == 1
