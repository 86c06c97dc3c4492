"""Register, log in, log out, CSRF and cookies, as a browser meets them."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.http import PASSWORD, api, csrf_token, login, register, sign_up


def test_register_then_login_then_logout(client: FlaskClient) -> None:
    assert register(client, "new@example.com").headers["Location"] == "/auth/login"
    assert login(client, "NEW@example.com").headers["Location"] == "/notes"
    assert client.get("/notes").status_code == 200
    token = csrf_token(client, "/notes")
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/notes").headers["Location"].startswith("/auth/login")


def test_wrong_password_and_unknown_email_look_the_same(client: FlaskClient) -> None:
    sign_up(client, "known@example.com")
    client.delete_cookie("session")
    wrong = login(client, "known@example.com", "not the password at all")
    unknown = login(client, "nobody@example.com", "not the password at all")
    strip = re.compile(r'content="[^"]+"|value="[^"]+"')
    assert wrong.status_code == unknown.status_code == 200
    assert strip.sub("", wrong.get_data(as_text=True)) == strip.sub(
        "", unknown.get_data(as_text=True)
    )
    assert "Invalid email or password." in wrong.get_data(as_text=True)


def test_registering_a_taken_email_reveals_nothing(client: FlaskClient) -> None:
    first = register(client, "taken@example.com")
    second = register(client, "Taken@Example.com", "another long password")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert login(client, "taken@example.com", "another long password").status_code == 200


@pytest.mark.parametrize("password", ["short", "password123", "new2@example.com"])
def test_weak_passwords_are_refused_with_a_message(client: FlaskClient, password: str) -> None:
    response = register(client, "new2@example.com", password)
    assert response.status_code == 200 and 'class="error"' in response.get_data(as_text=True)


def test_forms_without_csrf_token_are_refused(client: FlaskClient) -> None:
    sign_up(client, "csrf@example.com")
    page = client.post("/notes", data={"title": "t", "body": "b"}, headers={"Accept": "text/html"})
    assert page.status_code == 400 and "form expired" in page.get_data(as_text=True)
    json = client.post("/api/archives", headers={"Accept": "application/json"})
    assert json.status_code == 400 and json.json["error"] == "csrf_failed"


def test_copied_session_cookie_is_refused_after_logout(clean_state: Flask) -> None:
    victim, thief = clean_state.test_client(), clean_state.test_client()
    sign_up(victim, "victim@example.com")
    stolen = victim.get_cookie("session")
    assert stolen is not None
    victim.post("/auth/logout", data={"csrf_token": csrf_token(victim, "/notes")})
    thief.set_cookie("session", stolen.value)
    assert thief.get("/notes").status_code == 302


def test_remember_me_cookie_is_httponly_and_lax(client: FlaskClient) -> None:
    register(client, "remember@example.com")
    response = login(client, "remember@example.com", PASSWORD, remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith("remember_token="))
    assert "HttpOnly" in remember and "SameSite=Lax" in remember
    session = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session and "SameSite=Lax" in session


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example", "/\\evil.example", "%2F%2Fevil.example"]
)
def test_login_never_redirects_off_site(client: FlaskClient, target: str) -> None:
    register(client, "next@example.com")
    token = csrf_token(client)
    response = client.post(
        f"/auth/login?next={target}",
        data={
            "email": "next@example.com",
            "password": PASSWORD,
            "csrf_token": token,
            "next": target,
        },
    )
    assert response.headers["Location"] == "/notes"


def test_login_follows_a_local_next(client: FlaskClient) -> None:
    register(client, "local@example.com")
    token = csrf_token(client)
    response = client.post(
        "/auth/login?next=/archives",
        data={"email": "local@example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/archives"


def test_every_page_sets_security_headers(client: FlaskClient) -> None:
    response = client.get("/auth/login")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_logout_needs_post(client: FlaskClient) -> None:
    sign_up(client, "getlogout@example.com")
    assert client.get("/auth/logout").status_code == 405
    assert api(client, "GET", "/api/archives").status_code == 200
