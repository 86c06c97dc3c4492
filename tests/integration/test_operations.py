"""Operating the system: health probes, notifications, the sweeper and the CLI."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskCliRunner

from tests.support.http import api, csrf_token, sign_up
from tests.support.jobs import wait_for_job
from tests.support.services import free_port
from tests.support.settings import LIMITS_PREFIX, SECRET
from webapp import create_app
from webapp.archives import notify
from webapp.archives.models import ArchiveJob
from webapp.auth.models import User
from webapp.extensions import db
from webapp.types import utcnow


class Inbox:
    """An aiosmtpd handler that keeps every message it is sent."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def inbox(clean_state: Flask) -> Any:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    clean_state.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    yield handler
    controller.stop()


def user_id(app: Flask, email: str) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(User.id).where(User.email == email)) or 0)


def insert_job(app: Flask, uid: int, **values: Any) -> str:
    job_id = uuid.uuid4()
    with app.app_context():
        db.session.add(ArchiveJob(id=job_id, user_id=uid, **values))
        db.session.commit()
    return str(job_id)


def test_healthz_and_readyz(client: Any) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["database"] == ready.json["broker"] == "ok"


def test_readyz_names_the_broker_when_it_is_down(clean_state: Flask) -> None:
    clean_state.config["CELERY"] = dict(
        clean_state.config["CELERY"], broker_url=f"redis://127.0.0.1:{free_port()}/0"
    )
    response = clean_state.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "ok", "broker": "down"}


def test_database_outage_answers_503_json_not_a_traceback(tmp_path: Path, broker_url: str) -> None:
    app = create_app(
        {
            "SECRET_KEY": SECRET,
            "UPLOAD_DIR": str(tmp_path / "u"),
            "ARCHIVE_DIR": str(tmp_path / "a"),
            "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x",
            "CELERY": {"broker_url": broker_url},
            # This session's own throttling counts: other runs' failed logins must not lock it.
            "RATELIMIT_KEY_PREFIX": LIMITS_PREFIX,
        }
    )
    client = app.test_client()
    response = client.post(
        "/auth/login",
        data={"email": "a@b.cd", "password": "x" * 12, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 503 and response.json["error"] == "database_unavailable"
    assert client.get("/readyz").json["database"] == "down"


def test_success_is_emailed_once_with_a_link_and_no_attachment(
    clean_state: Flask, worker: Any, inbox: Inbox
) -> None:
    client = clean_state.test_client()
    sign_up(client, "mailme@example.com")
    job_id = api(client, "POST", "/api/archives").json["id"]
    wait_for_job(clean_state, job_id)
    deadline = time.monotonic() + 10
    while not inbox.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    [message] = inbox.messages
    assert message["To"] == "mailme@example.com" and "ready" in message["Subject"]
    assert not message.is_multipart()
    assert f"{clean_state.config['PUBLIC_URL']}/archives" in message.get_payload()
    with clean_state.app_context():
        notify.job_finished(uuid.UUID(job_id))  # a duplicate run notifies nobody
    time.sleep(0.3)
    assert len(inbox.messages) == 1


def test_sweeper_enqueues_a_job_whose_message_was_lost(
    clean_state: Flask, worker: Any, runner: FlaskCliRunner
) -> None:
    # Given a queued job that no message will ever wake (its enqueue failed)
    client = clean_state.test_client()
    sign_up(client, "lost@example.com")
    job_id = insert_job(clean_state, user_id(clean_state, "lost@example.com"), status="queued")
    # When the sweeper runs
    assert "enqueued=1" in runner.invoke(args=["archives", "sweep"]).output
    # Then a worker builds it
    job = wait_for_job(clean_state, job_id)
    assert job.status == "succeeded" and job.attempts == 1


def test_sweeper_requeues_an_expired_lease_and_the_job_completes(
    clean_state: Flask, worker: Any, runner: FlaskCliRunner
) -> None:
    client = clean_state.test_client()
    sign_up(client, "stalled@example.com")
    job_id = insert_job(
        clean_state,
        user_id(clean_state, "stalled@example.com"),
        status="running",
        attempts=1,
        lease_until=utcnow() - timedelta(seconds=1),
    )
    output = runner.invoke(args=["archives", "sweep"]).output
    assert "requeued=1" in output and "enqueued=1" in output
    job = wait_for_job(clean_state, job_id)
    assert job.status == "succeeded" and job.attempts == 2


def test_sweeper_fails_a_job_out_of_attempts_and_tells_the_user(
    clean_state: Flask, runner: FlaskCliRunner, inbox: Inbox
) -> None:
    client = clean_state.test_client()
    sign_up(client, "doomed@example.com")
    job_id = insert_job(
        clean_state,
        user_id(clean_state, "doomed@example.com"),
        status="running",
        attempts=5,
        lease_until=utcnow() - timedelta(seconds=1),
    )
    assert "failed=1" in runner.invoke(args=["archives", "sweep"]).output
    shown = api(client, "GET", f"/api/archives/{job_id}").json
    assert shown["status"] == "failed" and shown["error_code"] == "worker_lost"
    assert shown["ready"] and not shown["successful"] and shown["error"]
    assert [m["To"] for m in inbox.messages] == ["doomed@example.com"]


def test_cli_builds_lists_and_verifies(clean_state: Flask, runner: FlaskCliRunner) -> None:
    created = runner.invoke(
        args=["users", "create", "cli@example.com", "--password", "a long cli password"]
    )
    assert created.exit_code == 0, created.output
    assert runner.invoke(args=["users", "create", "cli@example.com"]).exit_code != 0
    seeded = runner.invoke(
        args=[
            "demo",
            "seed",
            "cli@example.com",
            "--notes",
            "2500",
            "--files",
            "2",
            "--file-kib",
            "8",
        ]
    )
    assert seeded.exit_code == 0, seeded.output
    built = runner.invoke(args=["archives", "build", "cli@example.com"])
    assert built.exit_code == 0 and "succeeded" in built.output, built.output
    listed = runner.invoke(args=["archives", "list", "--status", "succeeded"]).output
    assert "cli@example.com" in listed
    [archive] = Path(clean_state.config["ARCHIVE_DIR"]).glob("*.zip")
    ok = runner.invoke(args=["archives", "verify", str(archive)])
    assert ok.exit_code == 0 and "OK: 16 members" in ok.output
    archive.write_bytes(archive.read_bytes()[:-100])
    assert runner.invoke(args=["archives", "verify", str(archive)]).exit_code == 1


def test_admin_sees_every_job_and_others_get_404(
    clean_state: Flask, runner: FlaskCliRunner
) -> None:
    runner.invoke(
        args=["users", "create", "root@example.com", "--password", "a long admin pass", "--admin"]
    )
    admin, user = clean_state.test_client(), clean_state.test_client()
    sign_up(user, "someone@example.com")
    insert_job(clean_state, user_id(clean_state, "someone@example.com"), status="failed")
    from tests.support.http import login

    login(admin, "root@example.com", "a long admin pass")
    assert "someone@example.com" in admin.get("/admin/archives").get_data(as_text=True)
    assert user.get("/admin/archives").status_code == 404
