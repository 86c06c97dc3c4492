"""Closing an account: the password, a grace period to cancel in, then an erasure of all of it."""

from __future__ import annotations

import hashlib
import hmac
import io
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.support import archives
from tests.support.http import PASSWORD, api, csrf_token, login, register, sign_up
from tests.support.jobs import wait_for_job
from webapp.archives.models import ArchiveJob
from webapp.auth.models import ActivityEvent, User
from webapp.erasure import beat
from webapp.extensions import db
from webapp.imports.models import ImportJob
from webapp.notes.models import Attachment
from webapp.types import utcnow

SECRET_FILE = b"alice's private bytes\n" * 100


def user_id(app: Flask, email: str) -> int:
    with app.app_context():
        found = db.session.scalar(sa.select(User.id).where(User.email == email))
        assert found is not None
        return int(found)


def fill(app: Flask, client: FlaskClient, email: str, tmp_path: Path) -> None:
    """Notes, a file, a built archive and a finished import: every kind of row and object."""
    sign_up(client, email)
    token = csrf_token(client, "/notes")
    client.post("/notes", data={"title": f"{email}'s note", "body": "b", "csrf_token": token})
    token = csrf_token(client, "/files")
    client.post(
        "/files",
        data={"file": (io.BytesIO(SECRET_FILE), "secret.txt"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    archive = api(client, "POST", "/api/archives").json
    wait_for_job(app, archive["id"])
    with app.app_context():  # the worker notes the notification just after the final state
        while not db.session.get(ArchiveJob, uuid.UUID(archive["id"])).notified_at:  # type: ignore[union-attr]
            db.session.rollback()
            time.sleep(0.05)
    path = archives.write(tmp_path / f"{email}.zip", archives.members([archives.note(1)]))
    with path.open("rb") as stream:
        job = api(
            client,
            "POST",
            "/api/imports",
            data={"archive": (stream, "a.zip")},
            content_type="multipart/form-data",
        ).json
    wait_for_job(app, job["id"], model=ImportJob)


def rows_of(app: Flask, uid: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table that names this user."""
    with app.app_context():
        found = {}
        for table in db.metadata.sorted_tables:
            column = table.c.get("user_id") if table.name != "users" else table.c.id
            if column is not None:
                query = sa.select(table).where(column == uid).order_by(*table.primary_key)
                found[table.name] = [tuple(row) for row in db.session.execute(query)]
        return found


def stored(app: Flask) -> dict[str, str]:
    """Every stored object (uploads and archives), by path, with its SHA-256."""
    found = {}
    for key in ("UPLOAD_DIR", "ARCHIVE_DIR"):
        for path in Path(app.config[key]).rglob("*"):
            if path.is_file():
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def close(client: FlaskClient, password: str = PASSWORD) -> Any:
    return api(client, "DELETE", "/api/account", json={"password": password})


def test_the_page_asks_for_the_password_and_the_word_then_offers_to_cancel(
    client: FlaskClient,
) -> None:
    sign_up(client, "leaving@example.com")
    page = client.get("/auth/account").get_data(as_text=True)
    assert "download an archive" in page and 'id="close-account"' in page
    token = csrf_token(client, "/auth/account")
    wrong_word = client.post(
        "/auth/account/delete",
        data={"password": PASSWORD, "confirm": "delete please", "csrf_token": token},
    )
    assert "Type DELETE to confirm" in wrong_word.get_data(as_text=True)
    wrong_password = client.post(
        "/auth/account/delete",
        data={"password": "not my password!", "confirm": "DELETE", "csrf_token": token},
    )
    assert "That is not your password" in wrong_password.get_data(as_text=True)
    done = client.post(
        "/auth/account/delete",
        data={"password": PASSWORD, "confirm": "DELETE", "csrf_token": token},
    )
    assert done.status_code == 302
    page = client.get("/auth/account").get_data(as_text=True)
    assert "will be erased on" in page and 'id="cancel-erasure"' in page
    # logging in again during the grace period lands on the offer to cancel
    other = client.application.test_client()
    response = login(other, "leaving@example.com")
    assert response.headers["Location"].endswith("/auth/account")
    token = csrf_token(other, "/auth/account")
    other.post("/auth/account/delete/cancel", data={"csrf_token": token})
    assert "Keep my account" not in other.get("/auth/account").get_data(as_text=True)
    with client.application.app_context():
        assert db.session.scalar(sa.select(User.erase_at)) is None


def test_the_api_needs_the_right_password_and_a_recent_login(clean_state: Flask) -> None:
    client = clean_state.test_client()
    sign_up(client, "api@example.com")
    wrong = close(client, "not the password at all")
    assert wrong.status_code == 403 and wrong.json["error"] == "wrong_password"
    missing = api(client, "DELETE", "/api/account", json={})
    assert missing.status_code == 403
    clean_state.config["REAUTH_SECONDS"] = 0
    stale = close(client)
    assert stale.status_code == 401 and stale.json["error"] == "reauth_required"
    clean_state.config["REAUTH_SECONDS"] = 900
    before = utcnow()
    accepted = close(client)
    assert accepted.status_code == 202
    grace = timedelta(seconds=clean_state.config["ACCOUNT_ERASE_GRACE"])
    erase_at = accepted.json["erase_at"]
    assert (before + grace).isoformat() <= erase_at <= (utcnow() + grace).isoformat()
    # not due yet: the sweep leaves it alone
    with clean_state.app_context():
        assert beat.sweep() == {}


def test_erasure_leaves_only_the_audit_record_and_nobody_else_is_touched(
    clean_state: Flask, worker: Any, tmp_path: Path
) -> None:
    alice, bob = clean_state.test_client(), clean_state.test_client()
    fill(clean_state, alice, "alice@example.com", tmp_path)
    fill(clean_state, bob, "bob@example.com", tmp_path)
    alice_id, bob_id = (
        user_id(clean_state, "alice@example.com"),
        user_id(clean_state, "bob@example.com"),
    )
    bob_rows, everything = rows_of(clean_state, bob_id), stored(clean_state)
    with clean_state.app_context():
        bob_keys = set(
            db.session.scalars(
                sa.select(Attachment.storage_key).where(Attachment.user_id == bob_id)
            )
        )
        bob_keys |= set(
            db.session.scalars(
                sa.select(ArchiveJob.storage_key).where(ArchiveJob.user_id == bob_id)
            )
        )
    bob_objects = {
        path: digest for path, digest in everything.items() if Path(path).name in bob_keys
    }
    assert len(bob_objects) == 2  # bob's upload and bob's archive
    clean_state.config["ACCOUNT_ERASE_GRACE"] = 0
    assert close(alice).status_code == 202
    with clean_state.app_context():
        assert beat.sweep() == {str(alice_id): "erased"}
    # Only the audit record is left of alice, in every table
    assert all(rows == [] for rows in rows_of(clean_state, alice_id).values())
    with clean_state.app_context():
        audit = db.session.scalars(
            sa.select(ActivityEvent).where(ActivityEvent.kind == "account_erased")
        ).one()
        digest = hmac.new(
            clean_state.config["SECRET_KEY"].encode(), b"alice@example.com", hashlib.sha256
        )
        assert (audit.user_id, audit.detail) == (None, f"hmac-sha256:{digest.hexdigest()}")
        assert "alice" not in str(
            [tuple(r) for r in db.session.execute(sa.select(ActivityEvent.__table__))]
        )
    # No object of alice's is left; bob's are byte-identical, and so are his rows
    assert stored(clean_state) == bob_objects
    assert rows_of(clean_state, bob_id) == bob_rows
    # The old session is refused, the password no longer works, the email registers again
    assert alice.get("/notes").status_code == 302
    assert alice.get("/api/archives", headers={"Accept": "application/json"}).status_code == 401
    assert login(clean_state.test_client(), "alice@example.com").status_code == 200
    again = clean_state.test_client()
    register(again, "alice@example.com")
    assert login(again, "alice@example.com").status_code == 302
    assert "alice@example.com's note" not in again.get("/notes").get_data(as_text=True)


def test_an_erasure_that_fails_half_way_keeps_the_account_locked_then_resumes(
    clean_state: Flask, worker: Any, tmp_path: Path
) -> None:
    client = clean_state.test_client()
    fill(clean_state, client, "halfway@example.com", tmp_path)
    uid = user_id(clean_state, "halfway@example.com")
    with clean_state.app_context():
        keys = list(
            db.session.scalars(
                sa.select(Attachment.storage_key)
                .where(Attachment.user_id == uid)
                .order_by(Attachment.id)
            )
        )
        archive_key = db.session.scalar(
            sa.select(ArchiveJob.storage_key).where(ArchiveJob.user_id == uid)
        )
    # A stored object the eraser cannot remove (a directory where its file was): a real fault
    blocked = next(Path(clean_state.config["ARCHIVE_DIR"]).rglob(str(archive_key)))
    blocked.unlink()
    blocked.mkdir()
    clean_state.config["ACCOUNT_ERASE_GRACE"] = 0
    assert close(client).status_code == 202
    with clean_state.app_context():
        assert beat.sweep() == {str(uid): "failed"}
    # Half way: the uploads are gone, the account is not, and nobody can use it
    assert all(not any(Path(clean_state.config["UPLOAD_DIR"]).rglob(key)) for key in keys)
    assert login(clean_state.test_client(), "halfway@example.com").status_code == 200
    assert client.get("/notes").status_code == 302
    with clean_state.app_context():
        assert db.session.get(User, uid) is not None
    # Once the fault is gone, the next sweep finishes the job
    blocked.rmdir()
    with clean_state.app_context():
        assert beat.sweep() == {str(uid): "erased"}
        assert db.session.get(User, uid) is None
    assert all(rows == [] for rows in rows_of(clean_state, uid).values())


def test_an_admin_erases_on_the_owners_behalf(clean_state: Flask, runner: Any) -> None:
    client = clean_state.test_client()
    sign_up(client, "behalf@example.com")
    scheduled = runner.invoke(args=["users", "erase", "behalf@example.com"])
    assert scheduled.exit_code == 0 and "will be erased at" in scheduled.output
    now = runner.invoke(args=["users", "erase", "behalf@example.com", "--now"])
    assert now.exit_code == 0 and "erased" in now.output
    with clean_state.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == "behalf@example.com")) is None
    assert runner.invoke(args=["users", "erase", "nobody@example.com"]).exit_code != 0
