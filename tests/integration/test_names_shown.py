"""A user's file name is shown and sent as harmlessly as the archive stores it."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.support.http import csrf_token, sign_up
from webapp.extensions import db
from webapp.notes.models import Attachment


def _upload(app: Flask, client: FlaskClient, name: str) -> int:
    data = {"file": (io.BytesIO(b"bytes"), name), "csrf_token": csrf_token(client, "/files")}
    assert client.post("/files", data=data, content_type="multipart/form-data").status_code == 302
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(Attachment.id))) or 0


def test_bidi_name_shows_as_the_archive_names_it_with_the_override_spelled_out(
    clean_state: Flask,
) -> None:
    client = clean_state.test_client()
    sign_up(client, "bidi@example.com")
    _upload(clean_state, client, "evil\u202egpj.exe")
    page = client.get("/files").get_data(as_text=True)
    assert "\u202e" not in page
    assert "<bdi>evilgpj.exe</bdi>" in page
    assert "uploaded as <bdi>evil&lt;U+202E&gt;gpj.exe</bdi>" in page


def test_download_sends_a_sanitised_name_with_rfc_6266_filename_star(clean_state: Flask) -> None:
    client = clean_state.test_client()
    sign_up(client, "header@example.com")
    traversal = _upload(clean_state, client, "../../../etc/passwd")
    accented = _upload(clean_state, client, "r\u00e9sum\u00e9\u202e.pdf")
    with client.get(f"/files/{traversal}") as answer:
        header = answer.headers["Content-Disposition"]
    assert "../" not in header
    assert header == "attachment; filename=\"_._._etc_passwd\"; filename*=UTF-8''_._._etc_passwd"
    with client.get(f"/files/{accented}") as answer:
        header = answer.headers["Content-Disposition"]
    assert header.endswith("filename*=UTF-8''r%C3%A9sum%C3%A9.pdf")
    assert 'filename="r_sum_.pdf"' in header
