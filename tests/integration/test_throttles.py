"""Wrong passwords share one budget per account; writes are throttled per user."""

from __future__ import annotations

import logging
import threading

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.support.http import PASSWORD, csrf_token, login, sign_up
from webapp.auth.accounts import find_user
from webapp.extensions import db

WRONG = "not the password at all"
LIMIT = 5  # LOGIN_ACCOUNT_LIMIT's default: "5 per 15 minutes"


def _confirm(client: FlaskClient, password: str) -> int:
    token = csrf_token(client, "/auth/confirm")
    return client.post(
        "/auth/confirm", data={"password": password, "csrf_token": token}
    ).status_code


def _change(client: FlaskClient, current: str) -> int:
    token = csrf_token(client, "/auth/account")
    fields = {"current": current, "new": "a brand new passphrase 7", "csrf_token": token}
    return client.post("/auth/password", data=fields).status_code


GUESSES = {"/auth/confirm": _confirm, "/auth/password": _change}


@pytest.mark.parametrize("path", GUESSES)
def test_confirm_and_password_change_lock_after_as_many_failures_as_login(
    clean_state: Flask, path: str
) -> None:
    client = clean_state.test_client()
    sign_up(client, "guess@example.com")
    assert [GUESSES[path](client, WRONG) for _ in range(LIMIT)] == [200] * LIMIT
    right = {"password": PASSWORD, "current": PASSWORD, "new": "another long one 99"}
    locked = client.post(path, data={**right, "csrf_token": csrf_token(client, "/auth/account")})
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert "Too many wrong passwords for this account" in locked.get_data(as_text=True)


def test_guesses_behind_a_session_count_toward_the_login_lock(clean_state: Flask) -> None:
    client = clean_state.test_client()
    sign_up(client, "shared@example.com")
    assert [_confirm(client, WRONG), _change(client, WRONG), _confirm(client, WRONG)] == [200] * 3
    stranger = clean_state.test_client()
    assert [login(stranger, "shared@example.com", WRONG).status_code for _ in range(2)] == [200] * 2
    assert login(stranger, "shared@example.com").status_code == 429


def test_successes_and_other_form_errors_do_not_count(clean_state: Flask) -> None:
    client = clean_state.test_client()
    sign_up(client, "typos@example.com")
    for _ in range(LIMIT + 2):
        assert _confirm(client, PASSWORD) == 302
        token = csrf_token(client, "/auth/account")
        weak = {"current": PASSWORD, "new": "short", "csrf_token": token}
        assert client.post("/auth/password", data=weak).status_code == 200
    assert _confirm(client, PASSWORD) == 302


def test_writes_are_throttled_per_user(clean_state: Flask) -> None:
    clean_state.config["WRITE_LIMIT"] = "3 per minute"
    busy, other = clean_state.test_client(), clean_state.test_client()
    sign_up(busy, "busy@example.com")
    sign_up(other, "calm@example.com")

    def note(client: FlaskClient) -> int:
        token = csrf_token(client, "/notes")
        return client.post(
            "/notes", data={"title": "t", "body": "", "csrf_token": token}
        ).status_code

    assert [note(busy) for _ in range(3)] == [302, 302, 302]
    token = csrf_token(busy, "/notes")
    refused = busy.post("/notes", data={"title": "t", "body": "", "csrf_token": token})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "You are saving changes too quickly" in refused.get_data(as_text=True)
    assert note(other) == 302


def test_a_throttled_api_write_is_logged_with_its_user_loaded_once(
    clean_state: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a user who has used the one write a minute allows
    clean_state.config["WRITE_LIMIT"] = "1 per minute"
    client = clean_state.test_client()
    sign_up(client, "counted@example.com")
    headers = {"X-CSRFToken": csrf_token(client, "/notes"), "Accept": "application/json"}
    assert client.post("/api/archives", headers=headers).status_code == 202
    with clean_state.app_context():
        user_id = find_user("counted@example.com").id
        engine = db.engine

    # When the next write is refused, counting the statements it sends (on this thread: a
    # worker thread may be building the first job meanwhile)
    statements: list[str] = []
    requesting = threading.get_ident()

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if threading.get_ident() == requesting:
            statements.append(statement)

    caplog.clear()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        with caplog.at_level(logging.INFO, logger="keepsake.http"):
            refused = client.post("/api/archives", headers=headers)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)

    # Then its log line names the user, who was loaded once: the error's rollback does not
    # cost a second load just to log the id
    assert refused.status_code == 429 and refused.json["error"] == "too_many_requests"
    lines = [r.msg for r in caplog.records if r.name == "keepsake.http"]
    assert [line["user_id"] for line in lines] == [user_id]  # type: ignore[index]
    assert sum("FROM users" in statement for statement in statements) == 1, statements
