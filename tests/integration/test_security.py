"""Each protection of the account and the export, with a test that fails when it is removed."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask

from tests.support.http import PASSWORD
from tests.support.web import HttpBrowser
from webapp.auth.accounts import create_user, find_user
from webapp.auth.models import ActivityEvent
from webapp.extensions import db


def make_user(app: Flask, email: str, password: str = PASSWORD) -> None:
    with app.app_context():
        create_user(email, password)
        db.session.commit()


def events(app: Flask, email: str) -> list[str]:
    with app.app_context():
        user = find_user(email)
        assert user is not None
        return list(
            db.session.scalars(
                sa.select(ActivityEvent.kind)
                .where(ActivityEvent.user_id == user.id)
                .order_by(ActivityEvent.id)
            )
        )


def test_five_failures_lock_the_account_even_for_the_right_password(
    clean_state: Flask, live_server: str
) -> None:
    make_user(clean_state, "target@example.com")
    browser = HttpBrowser(live_server)
    for _ in range(5):
        assert browser.login("target@example.com", "wrong password guess").status == 200
    locked = browser.login("target@example.com", PASSWORD)
    assert locked.status == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert "Too many failed logins for this account" in locked.text
    assert browser.cookie("session") is None or "_user_id" not in locked.text
    assert events(clean_state, "target@example.com").count("login_failed") == 5
    assert "login" not in events(clean_state, "target@example.com")


def test_success_does_not_count_toward_the_limit(clean_state: Flask, live_server: str) -> None:
    make_user(clean_state, "often@example.com")
    for _ in range(7):
        assert HttpBrowser(live_server).login("often@example.com", PASSWORD).status == 302


def test_spoofed_forwarded_for_does_not_reset_the_address_count(
    clean_state: Flask, live_server: str
) -> None:
    clean_state.config["LOGIN_ADDRESS_LIMIT"] = "3 per 15 minutes"
    browser = HttpBrowser(live_server)
    answers = [
        browser.login(
            f"nobody{i}@example.com",
            "wrong password guess",
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
        ).status
        for i in range(5)
    ]
    assert answers == [200, 200, 200, 429, 429]


def test_registration_is_throttled(clean_state: Flask, live_server: str) -> None:
    clean_state.config["REGISTER_LIMIT"] = "2 per hour"
    browser = HttpBrowser(live_server)
    answers = [
        browser.post_form(
            "/auth/register", {"email": f"r{i}@example.com", "password": PASSWORD}
        ).status
        for i in range(3)
    ]
    assert answers == [302, 302, 429]


def test_log_out_everywhere_voids_other_sessions_and_remember_cookies(
    clean_state: Flask, live_server: str
) -> None:
    make_user(clean_state, "many@example.com")
    laptop, phone = HttpBrowser(live_server), HttpBrowser(live_server)
    laptop.login("many@example.com", PASSWORD)
    phone.login("many@example.com", PASSWORD, remember=True)
    remember = phone.cookie("remember_token")
    assert remember is not None and remember.has_nonstandard_attr("HttpOnly")
    # A thief copies the remember-me cookie alone; it logs them in, for now
    thief = HttpBrowser(live_server)
    thief.jar.set_cookie(remember)
    assert thief.open("/notes").status == 200
    # Then the owner logs out everywhere from the laptop
    assert laptop.post_form("/auth/logout-everywhere", {}, page="/auth/account").status == 302
    for visitor in (laptop, phone, HttpBrowser(live_server)):
        visitor.jar.clear()
    stale = HttpBrowser(live_server)
    stale.jar.set_cookie(remember)
    assert stale.open("/notes").status == 302
    assert "logout_everywhere" in events(clean_state, "many@example.com")


def test_password_change_needs_the_current_one_and_ends_other_sessions(
    clean_state: Flask, live_server: str
) -> None:
    make_user(clean_state, "change@example.com")
    mine, other = HttpBrowser(live_server), HttpBrowser(live_server)
    mine.login("change@example.com", PASSWORD)
    other.login("change@example.com", PASSWORD)
    refused = mine.post_form(
        "/auth/password",
        {"current": "not my password", "new": "a brand new passphrase"},
        page="/auth/account",
    )
    assert refused.status == 200 and "not your current password" in refused.text
    changed = mine.post_form(
        "/auth/password",
        {"current": PASSWORD, "new": "a brand new passphrase"},
        page="/auth/account",
    )
    assert changed.status == 302
    assert mine.open("/notes").status == 200  # this session continues
    assert other.open("/notes").status == 302  # the other one is over
    assert HttpBrowser(live_server).login("change@example.com", PASSWORD).status == 200
    assert (
        HttpBrowser(live_server).login("change@example.com", "a brand new passphrase").status == 302
    )
    assert "password_changed" in events(clean_state, "change@example.com")


def test_headers_over_http_and_hsts_only_with_https(clean_state: Flask, live_server: str) -> None:
    page = HttpBrowser(live_server).open("/auth/login")
    policy = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["Strict-Transport-Security"] is None
    clean_state.config["PREFER_HTTPS"] = True
    assert (
        "max-age"
        in HttpBrowser(live_server).open("/auth/login").headers["Strict-Transport-Security"]
    )


def test_weaker_hash_is_upgraded_on_login(clean_state: Flask, live_server: str) -> None:
    make_user(clean_state, "old@example.com")
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    with clean_state.app_context():
        user = find_user("old@example.com")
        assert user is not None
        user.password_hash = weak
        db.session.commit()
    assert HttpBrowser(live_server).login("old@example.com", PASSWORD).status == 302
    with clean_state.app_context():
        upgraded = find_user("old@example.com")
        assert upgraded is not None and upgraded.password_hash != weak
        assert "m=38912" in upgraded.password_hash


def test_account_page_shows_own_events_escaped(clean_state: Flask, live_server: str) -> None:
    make_user(clean_state, "agent@example.com")
    make_user(clean_state, "someone@example.com")
    HttpBrowser(live_server).login("someone@example.com", "wrong password guess")
    browser = HttpBrowser(live_server)
    browser.login("agent@example.com", PASSWORD, headers={"User-Agent": "<script>x()</script>"})
    page = browser.open("/auth/account").text
    assert "&lt;script&gt;x()&lt;/script&gt;" in page and "<script>x()" not in page
    assert "login_failed" not in page  # someone else's failure is not shown here


def test_stale_login_is_asked_for_the_password_before_a_download(
    clean_state: Flask, live_server: str
) -> None:
    make_user(clean_state, "reauth@example.com")
    browser = HttpBrowser(live_server)
    browser.login("reauth@example.com", PASSWORD)
    clean_state.config["REAUTH_SECONDS"] = -1
    job = uuid.uuid4()
    page = browser.open(f"/api/archives/{job}/download", headers={"Accept": "text/html"})
    assert page.status == 302
    assert page.headers["Location"].startswith("/auth/confirm?next=")
    api = browser.open(f"/api/archives/{job}/download", headers={"Accept": "application/json"})
    assert api.status == 401 and '"reauth_required"' in api.text
