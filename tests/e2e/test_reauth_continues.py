"""With a stale login, the password leads on to what the user asked for, and the page says so."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import log_in, make_account, tab_to
from tests.support.http import PASSWORD
from tests.support.jobs import wait_for_job
from webapp.archives.models import ArchiveJob
from webapp.extensions import db

EMAIL = "stale@example.com"


def jobs_of(app: Flask, user_id: int) -> list[ArchiveJob]:
    """The user's jobs as the database has them."""
    with app.app_context():
        return list(db.session.scalars(sa.select(ArchiveJob).where(ArchiveJob.user_id == user_id)))


def confirm_password(app: Flask, page: Page) -> None:
    """On the confirm page, give the password (the login is fresh again from here)."""
    expect(page.locator("h1")).to_have_text("Confirm your password")
    app.config["REAUTH_SECONDS"] = 900
    page.fill("input[name=password]", PASSWORD)


def test_stale_request_goes_through_after_the_password(
    clean_state: Flask, live_server: str, browser: Browser, paused_worker: Any
) -> None:
    user_id = make_account(clean_state, EMAIL, PASSWORD)
    page = browser.new_page()
    log_in(page, live_server, EMAIL, PASSWORD)
    page.goto(f"{live_server}/archives")
    clean_state.config["REAUTH_SECONDS"] = -1  # the login is now too old for exports
    page.click("#request-archive")
    expect(page.locator("main")).to_contain_text("To request your archive, confirm your password")
    assert jobs_of(clean_state, user_id) == []
    confirm_password(clean_state, page)
    page.click("button:has-text('Continue')")

    expect(page).to_have_url(f"{live_server}/archives")
    expect(page.locator(".flash").last).to_contain_text("Archive requested")
    [job] = jobs_of(clean_state, user_id)
    assert job.status == "queued"
    expect(page.locator(f'article[data-job-id="{job.id}"] .status')).to_have_text(
        "Waiting to start"
    )
    page.close()


def test_stale_download_starts_after_the_password(
    clean_state: Flask, live_server: str, browser: Browser, worker: Any
) -> None:
    user_id = make_account(clean_state, EMAIL, PASSWORD)
    page = browser.new_page(accept_downloads=True)
    log_in(page, live_server, EMAIL, PASSWORD)
    page.goto(f"{live_server}/archives")
    page.click("#request-archive")
    [job] = jobs_of(clean_state, user_id)
    wait_for_job(clean_state, str(job.id), ("succeeded",))
    download = page.locator(f'article[data-job-id="{job.id}"] a.download')
    expect(download).to_be_visible(timeout=15_000)

    # By keyboard: Tab to Download, Enter; the password; Enter
    clean_state.config["REAUTH_SECONDS"] = -1
    tab_to(page, f'article[data-job-id="{job.id}"] a.download')
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_contain_text("To download your archive, confirm your password")
    confirm_password(clean_state, page)
    with page.expect_download() as started:
        page.keyboard.press("Enter")
    assert started.value.suggested_filename.endswith(".zip")
    expect(page).to_have_url(f"{live_server}/archives")
    expect(page.locator(".flash")).to_contain_text("Your download is starting")
    page.close()
