"""Notes and files: each user sees only their own; uploads are limited and exact."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from tests.support.http import csrf_token, sign_up
from webapp.extensions import db
from webapp.notes.models import Attachment


def test_second_user_cannot_see_first_users_notes_or_files(clean_state: Flask) -> None:
    owner, other = clean_state.test_client(), clean_state.test_client()
    sign_up(owner, "owner@example.com")
    sign_up(other, "other@example.com")
    owner.post(
        "/notes",
        data={
            "title": "Private <diary>",
            "body": "secret",
            "csrf_token": csrf_token(owner, "/notes"),
        },
    )
    owner.post(
        "/files",
        data={"file": (io.BytesIO(b"mine"), "mine.txt"), "csrf_token": csrf_token(owner, "/files")},
        content_type="multipart/form-data",
    )
    page = owner.get("/notes").get_data(as_text=True)
    assert "Private &lt;diary&gt;" in page and "<diary>" not in page
    assert "Private" not in other.get("/notes").get_data(as_text=True)
    assert "mine.txt" not in other.get("/files").get_data(as_text=True)
    with clean_state.app_context():
        file_id = db.session.scalar(sa.select(Attachment.id))
    assert other.get(f"/files/{file_id}").status_code == 404
    with owner.get(f"/files/{file_id}") as mine:
        assert mine.get_data() == b"mine"
        assert mine.headers["Content-Disposition"].startswith("attachment")


def test_upload_is_stored_under_a_random_key_with_its_sha256(clean_state: Flask) -> None:
    client = clean_state.test_client()
    sign_up(client, "up@example.com")
    data = bytes(range(256)) * 800  # under the test client's 500 KB spooling threshold
    client.post(
        "/files",
        data={
            "file": (io.BytesIO(data), "../sneaky name.bin"),
            "csrf_token": csrf_token(client, "/files"),
        },
        content_type="multipart/form-data",
    )
    with clean_state.app_context():
        stored = db.session.scalars(sa.select(Attachment)).one()
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and stored.size == len(data)
    assert stored.original_name == "../sneaky name.bin"
    on_disk = Path(clean_state.config["UPLOAD_DIR"]) / stored.storage_key[:2] / stored.storage_key
    assert on_disk.read_bytes() == data


def test_too_large_upload_gets_413_and_leaves_nothing(clean_state: Flask) -> None:
    client = clean_state.test_client()
    sign_up(client, "big@example.com")
    clean_state.config["MAX_CONTENT_LENGTH"] = 10_000
    response = client.post(
        "/files",
        data={
            "file": (io.BytesIO(bytes(20_000)), "big.bin"),
            "csrf_token": csrf_token(client, "/files"),
        },
        content_type="multipart/form-data",
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 413
    page = response.get_data(as_text=True)  # the upload form again, with the error on it
    assert "File: That file is larger than the upload limit (9.8 KiB)" in page
    assert 'enctype="multipart/form-data"' in page
    with clean_state.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0
    assert list(Path(clean_state.config["UPLOAD_DIR"]).rglob("*.*")) == []


def test_empty_note_title_is_refused_with_a_message(clean_state: Flask) -> None:
    client = clean_state.test_client()
    sign_up(client, "empty@example.com")
    response = client.post(
        "/notes", data={"title": "", "body": "x", "csrf_token": csrf_token(client, "/notes")}
    )
    assert response.status_code == 200 and 'class="error"' in response.get_data(as_text=True)
