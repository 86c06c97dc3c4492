"""Live updates keep keyboard focus where it was and announce each change of status."""

from __future__ import annotations

from typing import Any

from flask import Flask
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import log_in, make_account, tab_to
from tests.e2e.controlled import ControlledJob
from tests.support.http import PASSWORD

EMAIL = "keyboard@example.com"


def test_focus_stays_put_while_progress_updates_and_status_changes_are_announced(
    clean_state: Flask,
    live_server: str,
    browser: Browser,
    paused_worker: Any,
    no_running_jobs_left: None,
) -> None:
    clean_state.config["ARCHIVE_COOLDOWN"] = 3600
    user_id = make_account(clean_state, EMAIL, PASSWORD)
    page = browser.new_page(viewport={"width": 390, "height": 844})
    log_in(page, live_server, EMAIL, PASSWORD)
    page.goto(f"{live_server}/archives")
    announcer = page.locator("#archive-announcer")

    # Request by keyboard; the page says it is done and the card waits for a worker
    tab_to(page, "#request-archive")
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_contain_text("Archive requested")
    card = page.locator("article.job").first
    expect(card.locator(".status")).to_have_text("Waiting to start")
    expect(page.locator("#request-archive")).to_be_disabled()

    # A worker picks it up: the card turns running in place and the change is announced
    job = ControlledJob(clean_state, user_id)
    expect(card.locator(".status")).to_have_text("Being made")
    expect(announcer).to_contain_text("being made")
    assert page.locator(".flash").count() == 0  # the flash described the moment before
    expect(card.locator(".phase")).not_to_contain_text("0 / 0")

    # Focus Cancel by keyboard and keep it there across three refreshes of progress
    tab_to(page, 'article.job button[data-focus-key^="cancel-"]')
    page.evaluate("() => { window.focusedBefore = document.activeElement; }")
    for done in (1000, 4000, 7000):
        job.progress("notes", done, 10_000)
        expect(card.locator("progress")).to_have_attribute("value", str(done // 100))
        expect(card.locator(".phase")).to_contain_text(f"{done:,} of 10,000 items")
        assert page.evaluate("() => document.activeElement === window.focusedBefore")
    before = announcer.text_content()

    # It finishes: the announcement changes, and focus moves into the finished card
    job.succeed()
    expect(card.locator(".status")).to_have_text("Ready to download")
    expect(announcer).to_contain_text("ready to download")
    assert announcer.text_content() != before
    assert page.evaluate("() => !!document.activeElement.closest('article.job')")
    expect(page.locator("#request-archive")).to_be_disabled()
    expect(page.locator("#request-why")).to_contain_text("You can request a new archive from")
    page.close()
