"""Imports through HTTP with a real worker: checked whole, added once, refused with a code."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.support import archives
from tests.support.http import api, csrf_token, sign_up
from tests.support.jobs import wait_for_job
from webapp.extensions import db
from webapp.imports.models import ImportJob
from webapp.notes.models import Attachment, Note

NOTES = [
    archives.note(1, title="Grüße aus Köln ✓", body='=HYPERLINK("x")\n' + "long " * 5000),
    archives.note(
        2, created_at="2020-01-02T03:04:05+00:00", updated_at="2024-06-07T08:09:10+00:00"
    ),
]
FILES = {"readme.txt": b"plain text\n" * 200, "photo.jpg": bytes(range(256)) * 64}


def multipart(path: Path, **fields: str) -> dict[str, Any]:
    """A form body encoded in memory: the test client's own encoder leaks a temp file."""
    boundary, body = encode_multipart(
        {**fields, "archive": FileStorage(io.BytesIO(path.read_bytes()), path.name)}
    )
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def upload(client: FlaskClient, path: Path) -> Any:
    return api(client, "POST", "/api/imports", **multipart(path))


def import_and_wait(app: Flask, client: FlaskClient, path: Path) -> dict[str, Any]:
    response = upload(client, path)
    assert response.status_code == 202, response.json
    assert response.headers["Location"] == f"/api/imports/{response.json['id']}"
    wait_for_job(app, response.json["id"], model=ImportJob)
    return api(client, "GET", response.headers["Location"]).json  # type: ignore[no-any-return]


def rows(app: Flask) -> tuple[int, int]:
    with app.app_context():
        notes = db.session.scalar(sa.select(sa.func.count()).select_from(Note)) or 0
        files = db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) or 0
        return notes, files


def stored_files(app: Flask) -> list[Path]:
    return [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]


def test_an_archive_is_added_with_its_moments_and_bytes_and_only_once(
    clean_state: Flask, worker: Any, tmp_path: Path
) -> None:
    client = clean_state.test_client()
    sign_up(client, "mover@example.com")
    path = archives.write(tmp_path / "a.zip", archives.members(NOTES, FILES))
    job = import_and_wait(clean_state, client, path)
    assert job["status"] == "succeeded", job
    assert job["added"] == {"notes": 2, "files": 2} and job["skipped"] == {"notes": 0, "files": 0}
    assert job["source"]["format"] == "keepsake-archive" and job["source"]["version"] == 1
    assert job["source"]["user_email"] == "origin@example.com"
    with clean_state.app_context():
        note = db.session.scalars(sa.select(Note).where(Note.source_id == 2)).one()
        assert note.created_at.isoformat() == "2020-01-02T03:04:05+00:00"
        assert note.updated_at.isoformat() == "2024-06-07T08:09:10+00:00"
        photo = db.session.scalars(
            sa.select(Attachment).where(Attachment.original_name == "photo.jpg")
        ).one()
        photo_id = photo.id
    with client.get(f"/files/{photo_id}") as download:
        assert download.data == FILES["photo.jpg"]
    assert "Grüße aus Köln ✓" in client.get("/notes").get_data(as_text=True)
    # The same archive again adds nothing, and says so
    again = import_and_wait(clean_state, client, path)
    assert again["status"] == "succeeded"
    assert again["added"] == {"notes": 0, "files": 0} and again["skipped"] == {
        "notes": 2,
        "files": 2,
    }
    assert rows(clean_state) == (2, 2)
    assert len(stored_files(clean_state)) == 2  # both uploaded archives are gone again


BAD = {
    "flipped_byte": lambda p: archives.flip_byte(
        archives.write(p, archives.members(NOTES, FILES)), 5, "files/1-readme.txt"
    ),
    "member_changed": lambda p: archives.write(
        p,
        {**archives.members(NOTES, FILES), "files/1-readme.txt": b"changed"},
        head=archives.manifest(archives.members(NOTES, FILES)),
    ),
    "unlisted_member": lambda p: archives.write(p, archives.members(NOTES), extra={"x.txt": b"x"}),
    "listed_but_missing": lambda p: archives.write(
        p,
        archives.members(NOTES),
        head=archives.manifest({**archives.members(NOTES), "gone": b"1"}),
    ),
    "invalid_notes": lambda p: archives.write(p, archives.members([archives.note(1, title=None)])),
    "dot_dot": lambda p: archives.write(p, {**archives.members(NOTES), "../escape.txt": b"x"}),
    "absolute": lambda p: archives.write(p, {**archives.members(NOTES), "/tmp/escape.txt": b"x"}),
    "symlink": lambda p: archives.write(p, archives.members(NOTES), tamper=archives.symlink_member),
    "bomb": archives.zeros_bomb,
    "version_99": lambda p: archives.write(
        p, archives.members(NOTES), head=archives.manifest(archives.members(NOTES), version=99)
    ),
}
CODES = {
    "flipped_byte": "corrupt_archive",
    "member_changed": "checksum_mismatch",
    "unlisted_member": "checksum_mismatch",
    "listed_but_missing": "checksum_mismatch",
    "invalid_notes": "schema_invalid",
    "dot_dot": "unsafe_member",
    "absolute": "unsafe_member",
    "symlink": "unsafe_member",
    "bomb": "too_large",
    "version_99": "unsupported_version",
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_a_bad_archive_fails_with_its_code_and_adds_nothing(
    clean_state: Flask, worker: Any, tmp_path: Path, kind: str
) -> None:
    client = clean_state.test_client()
    sign_up(client, f"{kind.replace('_', '')}@example.com")
    job = import_and_wait(clean_state, client, BAD[kind](tmp_path / f"{kind}.zip"))
    assert (job["status"], job["error_code"]) == ("failed", CODES[kind]), job
    assert job["error"] and job["added"] == {"notes": 0, "files": 0}
    assert rows(clean_state) == (0, 0)
    assert stored_files(clean_state) == []  # neither the upload nor any copied file is left


def test_one_import_at_a_time_and_a_queued_one_can_be_cancelled(
    clean_state: Flask, paused_worker: Any, tmp_path: Path
) -> None:
    client = clean_state.test_client()
    sign_up(client, "busy@example.com")
    path = archives.write(tmp_path / "a.zip", archives.members(NOTES))
    first = upload(client, path)
    assert first.status_code == 202
    second = upload(client, path)
    assert second.status_code == 409 and second.json["error"] == "import_active"
    cancelled = api(client, "POST", f"/api/imports/{first.json['id']}/cancel")
    assert cancelled.status_code == 202 and cancelled.json["status"] == "cancelled"
    assert api(client, "POST", f"/api/imports/{first.json['id']}/cancel").status_code == 409
    assert stored_files(clean_state) == []
    listed = api(client, "GET", "/api/imports").json["imports"]
    assert [job["id"] for job in listed] == [first.json["id"]]


def test_the_orphan_check_keeps_the_upload_of_an_import_still_waiting(
    clean_state: Flask, paused_worker: Any, tmp_path: Path
) -> None:
    # Given an import that has waited for a worker longer than the orphan check's grace
    clean_state.config["STORAGE_ORPHAN_GRACE"] = 0
    client = clean_state.test_client()
    sign_up(client, "waiting@example.com")
    job = upload(client, archives.write(tmp_path / "a.zip", archives.members(NOTES))).json
    waiting = stored_files(clean_state)
    assert len(waiting) == 1

    # When the orphan check removes every object without a row
    report = clean_state.test_cli_runner().invoke(args=["storage", "check", "--remove"]).output

    # Then the waiting import's upload is not taken for one, and the import can still run
    assert "uploads: removed 0 files without rows" in report
    assert stored_files(clean_state) == waiting
    assert api(client, "POST", f"/api/imports/{job['id']}/cancel").status_code == 202


def test_imports_are_private_and_a_request_without_archive_is_refused(
    clean_state: Flask, paused_worker: Any, tmp_path: Path
) -> None:
    alice, bob = clean_state.test_client(), clean_state.test_client()
    sign_up(alice, "alice@example.com")
    sign_up(bob, "bob@example.com")
    job = upload(alice, archives.write(tmp_path / "a.zip", archives.members(NOTES))).json
    assert api(bob, "GET", f"/api/imports/{job['id']}").status_code == 404
    assert api(bob, "POST", f"/api/imports/{job['id']}/cancel").status_code == 404
    missing = api(bob, "POST", "/api/imports", data={}, content_type="multipart/form-data")
    assert missing.status_code == 400 and missing.json["error"] == "archive_missing"
    empty = api(
        bob,
        "POST",
        "/api/imports",
        data={"archive": (io.BytesIO(b""), "a.zip")},
        content_type="multipart/form-data",
    )
    assert empty.status_code == 400 and empty.json["error"] == "archive_empty"


def test_the_page_uploads_and_shows_the_result(
    clean_state: Flask, worker: Any, tmp_path: Path
) -> None:
    client = clean_state.test_client()
    sign_up(client, "page@example.com")
    path = archives.write(tmp_path / "a.zip", archives.members(NOTES, FILES))
    token = csrf_token(client, "/imports")
    response = client.post("/imports", **multipart(path, csrf_token=token))
    assert response.status_code == 302
    job_id = api(client, "GET", "/api/imports").json["imports"][0]["id"]
    wait_for_job(clean_state, job_id, model=ImportJob)
    page = client.get("/imports").get_data(as_text=True)
    assert "Added 2 notes and 2 files" in page
