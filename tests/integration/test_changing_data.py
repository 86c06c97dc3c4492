"""Notes and files change: edited and deleted on the pages and the API, owner-only, remembered."""

from __future__ import annotations

import io
import threading
import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.support.http import api, csrf_token, sign_up
from webapp.archives import actions, runner, sweeper, transitions
from webapp.auth.models import User
from webapp.extensions import db
from webapp.notes.models import Attachment, Note, Tombstone
from webapp.storage import ARCHIVES, UPLOADS, store


def tombstones(app: Flask) -> list[tuple[str, int, str | None]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Tombstone.section, Tombstone.record_id, Tombstone.storage_key).order_by(
                Tombstone.id
            )
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def upload(client: FlaskClient, name: str, data: bytes) -> int:
    response = client.post(
        "/files",
        data={"file": (io.BytesIO(data), name), "csrf_token": csrf_token(client, "/files")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with client.application.app_context():
        return int(db.session.scalar(sa.select(sa.func.max(Attachment.id))) or 0)


def upload_key(app: Flask, attachment_id: int) -> str:
    with app.app_context():
        key = db.session.scalar(
            sa.select(Attachment.storage_key).where(Attachment.id == attachment_id)
        )
    assert key is not None
    return key


def is_stored(app: Flask, key: str) -> bool:
    """Whether the upload's bytes are in the store, whichever backend it is."""
    with app.app_context():
        return key in {item.key for item in store().keys(UPLOADS)}


def test_owner_edits_and_deletes_a_note_on_the_pages_and_others_get_404(
    clean_state: Flask,
) -> None:
    owner, other = clean_state.test_client(), clean_state.test_client()
    sign_up(owner, "pages-owner@example.com")
    sign_up(other, "pages-other@example.com")
    created = api(owner, "POST", "/api/notes", json={"title": "Draft", "body": "first"})
    note_id = created.json["id"]

    # Someone else cannot see, edit or delete it, nor even see its deletion page
    assert other.get(f"/notes/{note_id}/edit").status_code == 404
    assert other.get(f"/notes/{note_id}/delete").status_code == 404
    token = csrf_token(other, "/notes")
    forged = {"title": "Mine now", "body": "", "csrf_token": token}
    assert other.post(f"/notes/{note_id}/edit", data=forged).status_code == 404
    assert other.post(f"/notes/{note_id}/delete", data={"csrf_token": token}).status_code == 404

    # The owner edits it on its page, and the list shows the new text
    edit_page = owner.get(f"/notes/{note_id}/edit").get_data(as_text=True)
    assert 'value="Draft"' in edit_page and "first" in edit_page
    token = csrf_token(owner, f"/notes/{note_id}/edit")
    saved = owner.post(
        f"/notes/{note_id}/edit", data={"title": "Final", "body": "second", "csrf_token": token}
    )
    assert saved.status_code == 302
    listing = owner.get("/notes").get_data(as_text=True)
    assert "Final" in listing and "second" in listing and "Draft" not in listing
    with clean_state.app_context():
        note = db.session.get(Note, note_id)
        assert note is not None and note.updated_at > note.created_at

    # A form without its CSRF token changes nothing
    refused = owner.post(f"/notes/{note_id}/delete", data={})
    assert refused.status_code == 400 and tombstones(clean_state) == []

    # Then the owner deletes it: the list's Delete asks first, naming the note, and keeps it
    assert f'href="/notes/{note_id}/delete"' in owner.get("/notes").get_data(as_text=True)
    asked = owner.get(f"/notes/{note_id}/delete").get_data(as_text=True)
    assert "Delete this note?" in asked and "Final" in asked and "Delete for good" in asked
    assert tombstones(clean_state) == []

    # Only the confirmation's POST deletes: gone from the list, remembered by a tombstone
    token = csrf_token(owner, f"/notes/{note_id}/delete")
    deleted = owner.post(f"/notes/{note_id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 302 and deleted.headers["Location"] == "/notes"
    listing = owner.get("/notes").get_data(as_text=True)
    assert "Deleted the note <bdi>Final</bdi>." in listing
    assert "Final</h3>" not in listing
    assert owner.get(f"/notes/{note_id}/edit").status_code == 404
    assert tombstones(clean_state) == [("notes", note_id, None)]


def test_an_edit_with_an_empty_title_is_refused_and_keeps_the_note(clean_state: Flask) -> None:
    client = clean_state.test_client()
    sign_up(client, "keep@example.com")
    note_id = api(client, "POST", "/api/notes", json={"title": "Keep me"}).json["id"]
    token = csrf_token(client, f"/notes/{note_id}/edit")
    response = client.post(
        f"/notes/{note_id}/edit", data={"title": "", "body": "x", "csrf_token": token}
    )
    assert response.status_code == 200 and 'class="error"' in response.get_data(as_text=True)
    assert api(client, "GET", f"/api/notes/{note_id}").json["title"] == "Keep me"


def test_json_api_creates_changes_and_deletes_a_note(clean_state: Flask) -> None:
    owner, other = clean_state.test_client(), clean_state.test_client()
    sign_up(owner, "api-owner@example.com")
    sign_up(other, "api-other@example.com")

    created = api(owner, "POST", "/api/notes", json={"title": "Plan", "body": "a\nb"})
    assert created.status_code == 201
    note = created.json
    assert created.headers["Location"] == f"/api/notes/{note['id']}"
    assert (note["title"], note["body"]) == ("Plan", "a\nb")

    patched = api(owner, "PATCH", f"/api/notes/{note['id']}", json={"body": "changed"})
    assert patched.status_code == 200
    assert (patched.json["title"], patched.json["body"]) == ("Plan", "changed")
    assert patched.json["updated_at"] > note["updated_at"]

    for method in ("GET", "PATCH", "DELETE"):
        answer = api(other, method, f"/api/notes/{note['id']}", json={"title": "x"})
        assert answer.status_code == 404 and answer.json["error"] == "not_found"

    assert api(owner, "DELETE", f"/api/notes/{note['id']}").status_code == 204
    assert api(owner, "GET", f"/api/notes/{note['id']}").status_code == 404
    assert api(owner, "DELETE", f"/api/notes/{note['id']}").status_code == 404
    assert tombstones(clean_state) == [("notes", note["id"], None)]


@pytest.mark.parametrize(
    ("method", "body", "words"),
    [
        ("POST", None, "title is required"),
        ("POST", [1, 2], "JSON object"),
        ("POST", {"body": "no title"}, "title is required"),
        ("POST", {"title": "   "}, "cannot be blank"),
        ("POST", {"title": 7}, "must be a string"),
        ("POST", {"title": "x" * 201}, "at most 200 characters"),
        ("POST", {"title": "t", "body": "a\x01b"}, "control character"),
        ("POST", {"title": "two\nlines"}, "single line"),
        ("POST", {"title": "t", "colour": "red"}, "Unknown field: colour"),
        ("PATCH", {}, "Nothing to change"),
        ("PATCH", {"body": None}, "must be a string"),
    ],
)
def test_bad_note_bodies_get_a_400_that_says_why_and_change_nothing(
    clean_state: Flask, method: str, body: Any, words: str
) -> None:
    client = clean_state.test_client()
    sign_up(client, "bad@example.com")
    note_id = api(client, "POST", "/api/notes", json={"title": "Original"}).json["id"]
    path = "/api/notes" if method == "POST" else f"/api/notes/{note_id}"
    answer = api(client, method, path, json=body) if body is not None else api(client, method, path)
    # (the guard refuses a body that is not an object before the view, as on every route)
    assert answer.status_code == 400 and answer.json["error"] in ("invalid_input", "invalid_json")
    assert words in answer.json["message"]
    with clean_state.app_context():
        assert db.session.scalars(sa.select(Note.title)).all() == ["Original"]


def test_api_writes_need_the_csrf_header(clean_state: Flask) -> None:
    client = clean_state.test_client()
    sign_up(client, "csrf@example.com")
    answer = client.post("/api/notes", json={"title": "x"}, headers={"Accept": "application/json"})
    assert answer.status_code == 400 and answer.json["error"] == "csrf_failed"


def test_deleting_a_file_removes_its_row_and_bytes_and_leaves_a_tombstone(
    backend: Flask,
) -> None:
    clean_state = backend
    owner, other = clean_state.test_client(), clean_state.test_client()
    sign_up(owner, "files-owner@example.com")
    sign_up(other, "files-other@example.com")
    page_file, api_file = upload(owner, "one.txt", b"one"), upload(owner, "two.txt", b"two")
    keys = [upload_key(clean_state, page_file), upload_key(clean_state, api_file)]

    assert api(other, "DELETE", f"/api/files/{api_file}").status_code == 404
    assert other.get(f"/files/{page_file}/delete").status_code == 404
    token = csrf_token(other, "/files")
    assert other.post(f"/files/{page_file}/delete", data={"csrf_token": token}).status_code == 404

    # The page's Delete asks first, naming the file, and keeps it until confirmed
    asked = owner.get(f"/files/{page_file}/delete").get_data(as_text=True)
    assert "Delete this file?" in asked and "one.txt" in asked and "Delete for good" in asked
    assert is_stored(clean_state, keys[0]) and tombstones(clean_state) == []
    token = csrf_token(owner, f"/files/{page_file}/delete")
    deleted = owner.post(f"/files/{page_file}/delete", data={"csrf_token": token})
    assert deleted.status_code == 302 and deleted.headers["Location"] == "/files"
    assert "Deleted the file <bdi>one.txt</bdi>." in owner.get("/files").get_data(as_text=True)
    assert api(owner, "DELETE", f"/api/files/{api_file}").status_code == 204
    assert owner.get(f"/files/{api_file}").status_code == 404
    assert "one.txt" not in owner.get("/files").get_data(as_text=True)
    assert not any(is_stored(clean_state, key) for key in keys)
    assert tombstones(clean_state) == [("files", page_file, None), ("files", api_file, None)]


def test_a_file_deleted_during_a_build_keeps_its_bytes_until_the_build_ends(
    backend: Flask, tmp_path: Path
) -> None:
    # Given a user with a file and a build of theirs that has taken its snapshot
    clean_state = backend
    client = clean_state.test_client()
    sign_up(client, "mid-build@example.com")
    data = b"still needed\n" * 1000
    file_id = upload(client, "needed.txt", data)
    key = upload_key(clean_state, file_id)
    with clean_state.app_context():
        user_id = db.session.scalars(sa.select(User.id)).one()
        actions.request_archive(user_id, enqueue_message=False)  # this test is its worker
    snapshot_taken, deleted = threading.Event(), threading.Event()

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "counting":
            snapshot_taken.set()
            assert deleted.wait(30)

    outcome: list[str] = []

    def build() -> None:
        with clean_state.app_context():
            user = db.session.get(User, user_id)
            assert user is not None
            db.session.expunge(user)
            claim = transitions.claim(user_id, 60)
            assert claim is not None
            outcome.append(runner.execute(claim, user, progress))

    builder = threading.Thread(target=build)
    builder.start()
    assert snapshot_taken.wait(30)

    # When the user deletes the file while the build runs
    assert api(client, "DELETE", f"/api/files/{file_id}").status_code == 204

    # Then the row is gone but the bytes stay for the build, which still gets them whole
    assert is_stored(clean_state, key) and tombstones(clean_state)[0][2] is not None
    deleted.set()
    builder.join(60)
    assert outcome == ["succeeded"]
    with clean_state.app_context():
        archive_key = db.session.scalar(sa.text("SELECT storage_key FROM archive_jobs"))
        with store().open(ARCHIVES, archive_key) as stored:
            (tmp_path / "a.zip").write_bytes(stored.read())
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        files = orjson.loads(archive.read("files.json"))
        assert [archive.read(f["path"]) for f in files] == [data]

    # And once it has ended, the bytes are removed and the tombstone says so
    assert not is_stored(clean_state, key)
    assert tombstones(clean_state) == [("files", file_id, None)]


def test_the_purge_frees_a_deleted_file_that_a_crashed_build_was_holding(
    clean_state: Flask,
) -> None:
    # Given a file deleted while a build of its owner was running
    client = clean_state.test_client()
    sign_up(client, "crashed@example.com")
    file_id = upload(client, "held.txt", b"held")
    key = upload_key(clean_state, file_id)
    with clean_state.app_context():
        user_id = db.session.scalars(sa.select(User.id)).one()
        actions.request_archive(user_id, enqueue_message=False)
        claim = transitions.claim(user_id, 60)
        assert claim is not None
    assert api(client, "DELETE", f"/api/files/{file_id}").status_code == 204
    assert is_stored(clean_state, key)

    # When that build dies without cleaning up, and the hourly purge runs
    with clean_state.app_context():
        assert transitions.fail(claim, "internal_error", "crashed")
        assert sweeper.purge().deleted_files == 1

    # Then the bytes are gone, and the tombstone no longer waits for them
    assert not is_stored(clean_state, key)
    assert tombstones(clean_state) == [("files", file_id, None)]


def test_the_api_keeps_to_the_note_quota_and_writes_nothing_past_it(clean_state: Flask) -> None:
    clean_state.config["QUOTA_NOTES"] = 2
    client = clean_state.test_client()
    sign_up(client, "quota-api@example.com")
    for title in ("one", "two"):
        assert api(client, "POST", "/api/notes", json={"title": title}).status_code == 201
    answer = api(client, "POST", "/api/notes", json={"title": "three"})
    assert answer.status_code == 403 and answer.json["error"] == "quota_exceeded"
    assert "2 notes" in answer.json["message"]
    with clean_state.app_context():
        assert sorted(db.session.scalars(sa.select(Note.title))) == ["one", "two"]
