"""What a person sees in the browser: Delete asks first and reports; uploads fail on the form."""

from __future__ import annotations

import uuid

from flask import Flask
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import log_in, make_account
from tests.support.http import PASSWORD
from webapp.archives.models import ArchiveJob, JobStatus
from webapp.auth.accounts import create_user
from webapp.extensions import db
from webapp.types import utcnow

EMAIL = "feedback@example.com"


def make_user_with_a_failed_job(app: Flask) -> None:
    """An account whose one archive failed, so it can be deleted."""
    with app.app_context():
        user = create_user(EMAIL, PASSWORD)
        db.session.flush()
        db.session.add(
            ArchiveJob(
                id=uuid.uuid4(),
                user_id=user.id,
                status=JobStatus.FAILED,
                finished_at=utcnow(),
                error_code="internal_error",
                error="Something went wrong on our side.",
            )
        )
        db.session.commit()


def test_delete_asks_first_then_says_what_was_deleted_by_keyboard(
    clean_state: Flask, live_server: str, browser: Browser
) -> None:
    make_user_with_a_failed_job(clean_state)
    page = browser.new_page()
    log_in(page, live_server, EMAIL, PASSWORD)
    page.goto(f"{live_server}/archives")
    confirm = page.locator("details.confirm")
    yes = confirm.locator("button:has-text('Yes, delete it')")
    expect(yes).to_be_hidden()
    confirm.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(confirm).to_contain_text("Delete this archive?")
    expect(yes).to_be_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Yes, delete it"
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_contain_text("Deleted the archive requested")
    expect(page.locator("article.job")).to_have_count(0)
    page.close()


def test_too_large_upload_shows_its_error_on_the_form(
    clean_state: Flask, live_server: str, browser: Browser
) -> None:
    make_account(clean_state, EMAIL, PASSWORD)
    clean_state.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    page = browser.new_page()
    log_in(page, live_server, EMAIL, PASSWORD)
    page.goto(f"{live_server}/files")
    page.set_input_files(
        "input[type=file]",
        {"name": "big.bin", "mimeType": "application/octet-stream", "buffer": bytes(1024 * 1024)},
    )
    page.click("button:has-text('Upload')")
    expect(page.locator("main .error")).to_contain_text("larger than the upload limit (64.0 KiB)")
    expect(page.locator("input[type=file]")).to_be_visible()
    page.close()
