"""No input yields a 5xx: every route of the url_map, pages and API, fed hostile values."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from tests.support.fuzz import Call, field_names, hostile_calls, path_for, routes
from tests.support.http import api, csrf_token, login, sign_up
from webapp.auth.accounts import find_user
from webapp.extensions import db
from webapp.notes.models import Attachment, Note

EMAIL = "fuzz@example.com"


def _seed(app: Flask, client: FlaskClient) -> dict[str, str]:
    """An admin with a note, a file and an archive job, so real ids reach real rows."""
    sign_up(client, EMAIL)
    with app.app_context():
        user = find_user(EMAIL)
        assert user is not None
        user.is_admin = True
        db.session.commit()
    token = csrf_token(client, "/notes")
    client.post("/notes", data={"title": "t", "body": "b", "csrf_token": token})
    upload = {"file": (io.BytesIO(b"bytes"), "f.txt"), "csrf_token": token}
    client.post("/files", data=upload, content_type="multipart/form-data")
    job = api(client, "POST", "/api/archives")
    assert job.status_code == 202, job.get_data(as_text=True)
    with app.app_context():
        note_id = db.session.scalar(sa.select(sa.func.max(Note.id)))
        file_id = db.session.scalar(sa.select(sa.func.max(Attachment.id)))
    assert note_id and file_id
    return {"int": str(file_id), "uuid": job.get_json()["id"], "default": "x"}


def _pages(client: FlaskClient, rules: list[Rule]) -> list[str]:
    """Every page without arguments, as the logged-in admin sees it."""
    return [
        client.get(rule.rule).get_data(as_text=True)
        for rule in rules
        if "GET" in rule.methods and not rule.arguments
    ]


def _check(client: FlaskClient, call: Call) -> tuple[int, str | None]:
    """Send one call as raw bytes; say what is wrong: a 5xx, or a non-JSON error under /api."""
    where = f"{call.method} {call.path[:120]} ({call.content_type})"
    with client.open(
        call.path,
        method=call.method,
        data=call.body,
        content_type=call.content_type,
        headers=call.headers,
    ) as response:
        status, text = response.status_code, response.get_data(as_text=True)
    if status >= 500:
        return status, f"{where}: {status} {text[:200]}"
    if call.path.startswith("/api/") and status >= 400:
        body = response.get_json(silent=True)
        if not isinstance(body, dict) or not {"error", "message"} <= body.keys():
            return status, f"{where}: {status} is not a JSON error"
    return status, None


def test_no_route_answers_5xx_to_hostile_input(clean_state: Flask) -> None:
    # Given: limits out of the way (they answer 429, which would hide the routes behind them)
    clean_state.config.update(
        WRITE_LIMIT="1000000 per minute",
        LOGIN_ACCOUNT_LIMIT="1000000 per minute",
        LOGIN_ADDRESS_LIMIT="1000000 per minute",
        REGISTER_LIMIT="1000000 per minute",
    )
    owner = clean_state.test_client()
    real = _seed(clean_state, owner)
    rules = routes(clean_state)
    names = field_names(_pages(owner, rules))
    assert {"title", "body", "email", "password", "file"} <= set(names)
    problems: list[str] = []
    statuses: list[int] = []
    for rule in rules:
        # When: a fresh login sends every hostile request this route can take, then a visitor
        client = clean_state.test_client()
        assert login(client, EMAIL).status_code == 302
        token = csrf_token(client, "/notes")
        for call in hostile_calls(rule, real, names, token):
            status, problem = _check(client, call)
            statuses.append(status)
            problems.append(problem or "")
        visitor = Call("GET", path_for(rule, real) + "?page=%00&next=%ED%A0%80")
        problems.append(_check(clean_state.test_client(), visitor)[1] or "")
    # Then: nothing failed on Keepsake's side, and the refusals were Keepsake's own 4xx
    assert [p for p in problems if p] == []
    assert len(rules) >= 20 and len(statuses) > 1000
    assert statuses.count(400) > 100 and 200 in statuses
