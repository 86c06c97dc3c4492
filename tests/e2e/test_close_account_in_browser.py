"""A person closes their account in a browser, changes their mind, then lets it go."""

from __future__ import annotations

import re

from flask import Flask
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import log_in, make_account
from webapp.erasure import beat

PASSWORD = "a browser test password"


def test_close_an_account_cancel_it_then_close_it_for_good(
    clean_state: Flask, live_server: str, browser: Browser
) -> None:
    make_account(clean_state, "closing@example.com", PASSWORD)
    page = browser.new_page(viewport={"width": 390, "height": 844})
    log_in(page, live_server, "closing@example.com", PASSWORD)
    page.goto(f"{live_server}/auth/account")
    expect(page.locator("#close-account")).to_be_visible()
    expect(page.locator("main")).to_contain_text("download an archive")
    page.fill("#close-account input[name=password]", PASSWORD)
    page.fill("#close-account input[name=confirm]", "DELETE")
    page.click("#close-account button[type=submit]")
    expect(page.locator("main")).to_contain_text("will be erased on")
    page.click("#cancel-erasure")
    expect(page.locator(".flash")).to_contain_text("will not be erased")
    # Now for good: no grace period, and beat's sweep runs
    clean_state.config["ACCOUNT_ERASE_GRACE"] = 0
    page.fill("#close-account input[name=password]", PASSWORD)
    page.fill("#close-account input[name=confirm]", "DELETE")
    page.click("#close-account button[type=submit]")
    with clean_state.app_context():
        assert list(beat.sweep().values()) == ["erased"]
    page.goto(f"{live_server}/notes")
    expect(page).to_have_url(re.compile(r"/auth/login\?next="))  # the old session is void
    page.fill("input[name=email]", "closing@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]:has-text('Log in')")
    expect(page.locator("main")).to_contain_text("Invalid email or password")
    page.close()
