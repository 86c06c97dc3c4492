"""A user's whole export through HTTP alone, built by a real worker on PostgreSQL and Redis."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.support.http import api, csrf_token, sign_up
from tests.support.jobs import wait_for_job
from webapp.archives.verify import verify_archive
from webapp.extensions import db

PHOTO = bytes(range(256)) * 400


def add_note(client: FlaskClient, title: str, body: str) -> None:
    token = csrf_token(client, "/notes")
    response = client.post("/notes", data={"title": title, "body": body, "csrf_token": token})
    assert response.status_code == 302


def upload(client: FlaskClient, name: str, data: bytes) -> None:
    token = csrf_token(client, "/files")
    response = client.post(
        "/files",
        data={"file": (io.BytesIO(data), name), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302


def request_and_wait(app: Flask, client: FlaskClient) -> dict[str, Any]:
    response = api(client, "POST", "/api/archives")
    assert response.status_code == 202, response.json
    assert response.headers["Location"] == f"/api/archives/{response.json['id']}"
    wait_for_job(app, response.json["id"])
    return api(client, "GET", response.headers["Location"]).json


def test_user_downloads_a_verifiable_archive_of_exactly_their_data(
    clean_state: Flask, worker: Any, tmp_path: Path
) -> None:
    # Given two users with notes and files
    alice, bob = clean_state.test_client(), clean_state.test_client()
    sign_up(alice, "alice@example.com")
    sign_up(bob, "bob@example.com")
    add_note(alice, "Groceries", '=HYPERLINK("http://evil") and </script><script>alert(1)</script>')
    add_note(alice, "Ideas", "line one\nline two")
    add_note(bob, "Bob's secret", "not for alice")
    upload(alice, "holiday photo.jpg", PHOTO)
    upload(alice, "../../etc/passwd\u202e.txt", b"plain text\n" * 1000)
    upload(bob, "bob.txt", b"bob only")

    # When Alice requests an archive and polls it to the end
    job = request_and_wait(clean_state, alice)

    # Then it succeeded, and the download is the ZIP whose digest the job names
    assert job["status"] == "succeeded" and job["ready"] and job["successful"]
    assert job["progress"] == 100
    # profile, two notes, two files (a record and its bytes each) and some activity
    assert job["items_done"] == job["items_total"] >= 7
    download = alice.get(job["download_url"])
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    body = download.get_data()
    download.close()
    assert hashlib.sha256(body).hexdigest() == job["sha256"] and len(body) == job["size"]
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert download.headers["Repr-Digest"] == f"sha-256=:{digest}:"
    path = tmp_path / "alice.zip"
    path.write_bytes(body)
    assert verify_archive(path).ok

    # And it holds every note and file of Alice byte for byte, and nothing of Bob
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        notes = orjson.loads(archive.read("notes.json"))
        files = orjson.loads(archive.read("files.json"))
        assert {n["title"] for n in notes} == {"Groceries", "Ideas"}
        assert notes[0]["body"].startswith("=HYPERLINK")  # JSON keeps the exact text
        assert "'=HYPERLINK" in archive.read("notes.csv").decode()  # CSV neutralises it
        by_name = {f["name"]: f for f in files}
        assert archive.read(by_name["holiday photo.jpg"]["path"]) == PHOTO
        assert archive.read(by_name["../../etc/passwd\u202e.txt"]["path"]) == b"plain text\n" * 1000
        assert all(".." not in n and not n.startswith("/") and "\u202e" not in n for n in names)
        assert (
            archive.getinfo(by_name["holiday photo.jpg"]["path"]).compress_type
            == zipfile.ZIP_STORED
        )
        html = archive.read("index.html").decode()
        assert "<script>alert(1)" not in html and "&lt;/script&gt;" in html
        everything = b"".join(archive.read(n) for n in names)
        assert b"bob" not in everything.lower()
        manifest = orjson.loads(archive.read("manifest.json"))
        assert manifest["sections"]["notes"] == {"count": 2}
        assert manifest["user"]["email"] == "alice@example.com"
        activity = orjson.loads(archive.read("activity.json"))
        assert {"login", "archive_requested", "archive_started"} <= {e["kind"] for e in activity}

    # And Bob gets 404 on every route of Alice's job
    for method, suffix in (("GET", ""), ("GET", "/download"), ("POST", "/cancel"), ("DELETE", "")):
        assert api(bob, method, f"/api/archives/{job['id']}{suffix}").status_code == 404


def test_twenty_concurrent_requests_make_exactly_one_job(
    clean_state: Flask, paused_worker: Any
) -> None:
    # Given a logged-in user, and no worker taking jobs: the job stays queued
    client = clean_state.test_client()
    sign_up(client, "racer@example.com")
    token = csrf_token(client, "/notes")
    cookie = client.get_cookie("session")
    assert cookie is not None

    def post(_: int) -> tuple[int, str]:
        racer = clean_state.test_client()
        racer.set_cookie("session", cookie.value)
        response = racer.post("/api/archives", headers={"X-CSRFToken": token})
        return response.status_code, response.json["id"]

    # When twenty requests race
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(post, range(20)))

    # Then one created the job and all nineteen others were answered with it
    assert sorted(code for code, _ in results) == [200] * 19 + [202]
    assert len({job_id for _, job_id in results}) == 1
    assert len(api(client, "GET", "/api/archives").json["archives"]) == 1


def test_range_request_resumes_a_download(clean_state: Flask, worker: Any) -> None:
    client = clean_state.test_client()
    sign_up(client, "resume@example.com")
    upload(client, "big.bin", bytes(200_000))
    job = request_and_wait(clean_state, client)
    with client.get(job["download_url"]) as full:
        whole = full.get_data()
    with client.get(job["download_url"], headers={"Range": "bytes=1000-"}) as partial:
        assert partial.status_code == 206
        assert partial.get_data() == whole[1000:]


def test_cooldown_answers_429_with_retry_after(clean_state: Flask, worker: Any) -> None:
    client = clean_state.test_client()
    sign_up(client, "cool@example.com")
    request_and_wait(clean_state, client)
    clean_state.config["ARCHIVE_COOLDOWN"] = 3600
    response = api(client, "POST", "/api/archives")
    assert response.status_code == 429
    assert 3500 < int(response.headers["Retry-After"]) <= 3601
    assert response.json["error"] == "cooldown" and "minutes" in response.json["message"]


def test_cancel_a_queued_job_then_delete_it(clean_state: Flask, paused_worker: Any) -> None:
    client = clean_state.test_client()
    sign_up(client, "cancel@example.com")
    job_id = api(client, "POST", "/api/archives").json["id"]
    cancelled = api(client, "POST", f"/api/archives/{job_id}/cancel")
    assert cancelled.status_code == 202 and cancelled.json["status"] == "cancelled"
    assert api(client, "POST", f"/api/archives/{job_id}/cancel").status_code == 409
    assert api(client, "DELETE", f"/api/archives/{job_id}").status_code == 204
    assert api(client, "GET", f"/api/archives/{job_id}").status_code == 404


def test_expired_archive_answers_410_and_purge_removes_the_file(
    clean_state: Flask, worker: Any, runner: Any
) -> None:
    client = clean_state.test_client()
    sign_up(client, "expire@example.com")
    clean_state.config["ARCHIVE_TTL"] = 0
    job = request_and_wait(clean_state, client)
    response = client.get(f"/api/archives/{job['id']}/download")
    assert response.status_code == 410 and response.json["error"] == "expired"
    assert len(list(Path(clean_state.config["ARCHIVE_DIR"]).glob("*.zip"))) == 1
    assert "expired=1" in runner.invoke(args=["archives", "purge"]).output
    assert list(Path(clean_state.config["ARCHIVE_DIR"]).glob("*.zip")) == []
    assert api(client, "GET", f"/api/archives/{job['id']}").json["status"] == "expired"


def test_unknown_and_malformed_ids_are_json_404(client: FlaskClient) -> None:
    sign_up(client, "nobody@example.com")
    for path in ("/api/archives/00000000-0000-0000-0000-000000000000", "/api/archives/nope"):
        response = api(client, "GET", path)
        assert response.status_code == 404
        assert set(response.json) == {"error", "message"}


def test_api_without_login_is_json_401(client: FlaskClient) -> None:
    response = client.get("/api/archives", headers={"Accept": "application/json"})
    assert response.status_code == 401 and response.json["error"] == "login_required"


def test_stale_login_must_confirm_password_before_export(clean_state: Flask) -> None:
    client = clean_state.test_client()
    sign_up(client, "stale@example.com")
    clean_state.config["REAUTH_SECONDS"] = -1
    response = api(client, "POST", "/api/archives")
    assert response.status_code == 401 and response.json["error"] == "reauth_required"
    clean_state.config["REAUTH_SECONDS"] = 900
    token = csrf_token(client, "/auth/confirm")
    confirmed = client.post(
        "/auth/confirm?next=/archives",
        data={"password": "a long test password 42", "csrf_token": token},
    )
    assert confirmed.headers["Location"] == "/archives"
    assert api(client, "POST", "/api/archives").status_code == 202


def test_cancel_a_running_build_stops_it_and_leaves_no_file(
    clean_state: Flask, worker: Any, runner: Any
) -> None:
    # Given an account big enough that its build takes a while
    client = clean_state.test_client()
    sign_up(client, "big@example.com")
    assert (
        runner.invoke(
            args=["demo", "seed", "big@example.com", "--notes", "300000", "--files", "0"]
        ).exit_code
        == 0
    )
    job_id = api(client, "POST", "/api/archives").json["id"]
    wait_for_job(clean_state, job_id, states=("running",))

    # When the user cancels it mid-build
    response = api(client, "POST", f"/api/archives/{job_id}/cancel")

    # Then the worker stops between batches, ends it cancelled and removes its temp file
    assert response.status_code == 202 and response.json["cancel_requested"]
    job = wait_for_job(clean_state, job_id)
    assert job.status == "cancelled" and job.finished_at is not None
    assert list(Path(clean_state.config["ARCHIVE_DIR"]).iterdir()) == []


def test_a_running_build_holds_no_idle_transaction_from_the_task(
    clean_state: Flask, worker: Any, runner: Any
) -> None:
    client = clean_state.test_client()
    sign_up(client, "idle@example.com")
    seeded = runner.invoke(
        args=["demo", "seed", "idle@example.com", "--notes", "300000", "--files", "0"]
    )
    assert seeded.exit_code == 0
    job_id = api(client, "POST", "/api/archives").json["id"]
    wait_for_job(clean_state, job_id, states=("running",))
    with clean_state.app_context():
        idle = db.session.scalar(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'idle in transaction' AND query LIKE 'SELECT users.id%'"
            )
        )
    assert idle == 0
    api(client, "POST", f"/api/archives/{job_id}/cancel")
    wait_for_job(clean_state, job_id)
