"""Bad input gets a clear 4xx and writes nothing: forms, page numbers, ids, JSON, errors."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import DataError

from tests.support.http import api, csrf_token, register, sign_up
from webapp import create_app
from webapp.auth.accounts import find_user
from webapp.extensions import db
from webapp.notes.models import Attachment, Note


def _count(app: Flask, model: type[Note] | type[Attachment]) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _stored_files(app: Flask) -> list[Path]:
    return [
        Path(root, name) for root, _, names in os.walk(app.config["UPLOAD_DIR"]) for name in names
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"title": "a\x00b", "body": ""},
            "Title: Contains an invisible control character (U+0000)",
        ),
        ({"title": "two\nlines", "body": ""}, "Title: Must be a single line"),
        ({"title": "ok", "body": "bell\x07"}, "Body: Contains an invisible control character"),
    ],
)
def test_note_with_control_characters_gets_a_form_message_and_is_not_saved(
    clean_state: Flask, fields: dict[str, str], message: str
) -> None:
    client = clean_state.test_client()
    sign_up(client, "text@example.com")
    answer = client.post("/notes", data={**fields, "csrf_token": csrf_token(client, "/notes")})
    assert answer.status_code == 200
    assert message in answer.get_data(as_text=True)
    assert _count(clean_state, Note) == 0


def test_note_body_keeps_line_breaks_and_tabs(clean_state: Flask) -> None:
    client = clean_state.test_client()
    sign_up(client, "lines@example.com")
    body = "first line\r\n\tindented\nlast"
    token = csrf_token(client, "/notes")
    assert (
        client.post("/notes", data={"title": "t", "body": body, "csrf_token": token}).status_code
        == 302
    )
    with clean_state.app_context():
        assert db.session.scalar(sa.select(Note.body)) == body


@pytest.mark.parametrize("email", ["nul\x00@example.com", "esc\x1b@example.com"])
def test_nul_in_login_and_registration_email_is_a_form_message(
    clean_state: Flask, email: str
) -> None:
    client = clean_state.test_client()
    registered = register(client, email)
    assert registered.status_code == 200
    assert "Email: Contains an invisible control character" in registered.get_data(as_text=True)
    token = csrf_token(client)
    answer = client.post("/auth/login", data={"email": email, "password": "x", "csrf_token": token})
    assert answer.status_code == 200
    assert "Email: Contains an invisible control character" in answer.get_data(as_text=True)
    with clean_state.app_context():
        assert find_user(email.replace("\x00", "").replace("\x1b", "")) is None


def test_upload_named_with_a_nul_is_refused_and_leaves_no_file(clean_state: Flask) -> None:
    client = clean_state.test_client()
    sign_up(client, "upload@example.com")
    data = {
        "file": (io.BytesIO(b"x" * 1000), "evil\x00.txt"),
        "csrf_token": csrf_token(client, "/files"),
    }
    answer = client.post("/files", data=data, content_type="multipart/form-data")
    assert answer.status_code == 200
    assert "The file&#39;s name contains an invisible control character" in answer.get_data(
        as_text=True
    )
    assert _count(clean_state, Attachment) == 0 and _stored_files(clean_state) == []


def test_hostile_content_type_is_kept_as_an_opaque_type(clean_state: Flask) -> None:
    client = clean_state.test_client()
    sign_up(client, "type@example.com")
    upload = (io.BytesIO(b"bytes"), "fine.txt", "text/html\x00; evil")
    data = {"file": upload, "csrf_token": csrf_token(client, "/files")}
    assert client.post("/files", data=data, content_type="multipart/form-data").status_code == 302
    with clean_state.app_context():
        assert db.session.scalar(sa.select(Attachment.content_type)) == "application/octet-stream"


@pytest.mark.parametrize("page", ["999999999999999999999", "\u00b2", "0", "-1", "abc", "100001"])
@pytest.mark.parametrize("listing", ["/notes", "/files"])
def test_bad_page_numbers_are_a_400_that_says_why(
    clean_state: Flask, listing: str, page: str
) -> None:
    client = clean_state.test_client()
    sign_up(client, "pages@example.com")
    answer = client.get(listing, query_string={"page": page})
    assert answer.status_code == 400
    assert "?page= must be a whole number from 1 to 100,000" in answer.get_data(as_text=True)


def test_a_page_past_the_end_is_empty_and_links_back(clean_state: Flask) -> None:
    client = clean_state.test_client()
    sign_up(client, "past@example.com")
    token = csrf_token(client, "/notes")
    client.post("/notes", data={"title": "only", "body": "", "csrf_token": token})
    answer = client.get("/notes?page=3")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "only" not in page and "/notes?page=2" in page


@pytest.mark.parametrize("file_id", ["99999999999999999999999", "2147483648", "\u00b2"])
def test_ids_beyond_any_row_are_404(clean_state: Flask, file_id: str) -> None:
    client = clean_state.test_client()
    sign_up(client, "ids@example.com")
    assert client.get(f"/files/{file_id}").status_code == 404


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b'{"sections": ["notes\\u0000"]}', "invalid_input"),
        (b'{"sections": ["\\ud800"]}', "invalid_input"),
        (b'{"since": "\\u001b[2J"}', "invalid_input"),
        (b"[" * 50_000 + b"]" * 50_000, "invalid_json"),
        (b"{not json", "invalid_json"),
        (b'"a string"', "invalid_json"),
    ],
)
def test_json_bodies_with_unsafe_text_are_a_400_json(
    clean_state: Flask, body: bytes, error: str
) -> None:
    client = clean_state.test_client()
    sign_up(client, "json@example.com")
    answer = api(client, "POST", "/api/archives", data=body, content_type="application/json")
    assert answer.status_code == 400
    assert answer.get_json()["error"] == error and answer.get_json()["message"]


def test_query_with_a_nul_is_refused_before_any_view(clean_state: Flask) -> None:
    client = clean_state.test_client()
    answer = client.get("/auth/login?next=%00")
    assert answer.status_code == 400
    assert "control character (U+0000)" in answer.get_data(as_text=True)


def _status_under_api(client: FlaskClient, status: int) -> tuple[str, str]:
    """Provoke one error status under /api; return the path and method used."""
    return {
        400: ("POST", "/api/archives"),  # no CSRF token
        401: ("GET", "/api/archives"),  # not logged in
        404: ("GET", "/api/nothing-here"),
        405: ("PUT", "/api/archives"),
    }[status]


@pytest.mark.parametrize("status", [400, 401, 404, 405])
def test_every_error_under_api_is_json(clean_state: Flask, status: int) -> None:
    client = clean_state.test_client()
    method, path = _status_under_api(client, status)
    answer = client.open(path, method=method)
    assert answer.status_code == status
    assert answer.is_json and {"error", "message"} <= answer.get_json().keys()


def test_too_large_a_body_under_api_is_json(clean_state: Flask) -> None:
    clean_state.config["MAX_CONTENT_LENGTH"] = 1000
    client = clean_state.test_client()
    sign_up(client, "big@example.com")
    answer = api(
        client, "POST", "/api/archives", data=b"{}" + b" " * 2000, content_type="application/json"
    )
    assert answer.status_code == 413 and answer.get_json()["error"] == "too_large"


@pytest.fixture
def failing_app(clean_state: Flask) -> Flask:
    """A second app on the same database with routes that break the session, as bugs do."""
    app = create_app({**clean_state.config, "TESTING": False})

    @app.get("/broken-after-failed-flush")
    def broken() -> str:
        db.session.add(Note(user_id=0, title="nul\x00", body=""))
        try:
            db.session.flush()
        except DataError:
            pass  # the bug under test: the failed transaction is left for the error handler
        raise RuntimeError("a bug after a failed flush")

    @app.get("/value-refused")
    def refused() -> str:
        db.session.add(Note(user_id=0, title="nul\x00", body=""))
        db.session.flush()
        return "unreachable"

    return app


def test_error_handler_answers_even_after_a_failed_transaction(failing_app: Flask) -> None:
    client = failing_app.test_client()
    sign_up(client, "broken@example.com")
    answer = client.get("/broken-after-failed-flush")
    assert answer.status_code == 500
    page = answer.get_data(as_text=True)
    assert "Something went wrong on our side" in page and "broken@example.com" in page
    refused = client.get("/value-refused")
    assert refused.status_code == 400
    assert "Keepsake cannot store a value you sent" in refused.get_data(as_text=True)
