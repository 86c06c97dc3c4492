"""An admin operates the queue in a real browser: live figures, a timeline, bulk retry."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import layout_problems
from tests.support.admin import ADMIN_EMAIL, ADMIN_PASSWORD, insert_job, make_admin, user_id
from webapp.archives import actions, transitions
from webapp.archives.models import ArchiveJob
from webapp.auth.models import ActivityEvent
from webapp.extensions import db


def seed(runner: FlaskCliRunner, email: str, notes: int) -> None:
    args = ["demo", "seed", email, "--notes", str(notes), "--files", "1", "--file-kib", "8"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output


def log_in(page: Page, base: str) -> None:
    page.goto(f"{base}/auth/login")
    page.fill("input[name=email]", ADMIN_EMAIL)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/notes")


def test_admin_watches_the_queue_and_retries_failed_jobs_in_bulk(
    live_server: str,
    worker: Any,
    browser: Browser,
    runner: FlaskCliRunner,
    clean_state: Flask,
    pictures: Path,
) -> None:
    # Given an export that the test itself holds running, and three failed jobs of other users
    make_admin(runner)
    seed(runner, "big@example.com", 20)
    for n in range(3):
        seed(runner, f"small{n}@example.com", 20)
    failed = [
        insert_job(
            clean_state,
            user_id(clean_state, f"small{n}@example.com"),
            "failed",
            minutes_ago=5 + n,
            error_code=code,
        )
        for n, code in enumerate(("disk_full", "disk_full", "time_limit"))
    ]
    with clean_state.app_context():
        big, _ = actions.request_archive(
            user_id(clean_state, "big@example.com"), enqueue_message=False
        )
        big_id = str(big.id)
        claim = transitions.claim(big.user_id, 600)
        assert claim is not None
        heartbeat = transitions.Heartbeat(claim, 600)
        heartbeat("notes", 10, 100)

    # When the admin opens the dashboard
    page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    log_in(page, live_server)
    page.click("header a:has-text('Admin')")
    expect(page).to_have_url(f"{live_server}/admin")

    # Then the figures are those of the rows, and the running build's bar moves on its own
    expect(page.locator("#outcomes tr[data-window=hour] td").nth(2)).to_have_text("3")
    expect(page.locator("#outcomes tr[data-window=hour]")).to_contain_text("disk_full 2")
    expect(page.locator("#outcomes tr[data-window=hour]")).to_contain_text("100.0%")
    expect(page.locator("#workers-seen")).not_to_have_text("0")
    bar = page.locator(f'#running tr[data-job-id="{big_id}"] progress')
    expect(bar).to_be_visible(timeout=30_000)
    expect(page.locator(f'#running tr[data-job-id="{big_id}"]')).to_contain_text("big@example.com")
    expect(bar).to_have_attribute("value", "10", timeout=30_000)
    page.evaluate("window.__sameDocument = true")
    # The build reports more progress (as its heartbeat does); the bar follows without a reload
    time.sleep(transitions.HEARTBEAT_SECONDS)
    with clean_state.app_context():
        heartbeat("notes", 60, 100)
    expect(bar).to_have_attribute("value", "60", timeout=30_000)
    assert page.evaluate("window.__sameDocument") is True  # redrawn by polling, no reload
    page.screenshot(path=str(pictures / "admin-dashboard.png"), full_page=True)

    # When the admin ticks two of the failed jobs and retries them
    page.check(f'input[value="{failed[0]}"]')
    page.check(f'input[value="{failed[2]}"]')
    page.click("#retry-selected")

    # Then both are requeued and built, the third stays failed, and the trail names the admin
    expect(page.locator(".flash")).to_have_text("Requeued 2 failed jobs.")
    expect(page.locator("h2#failed-title")).to_have_text("Failed jobs (1)")
    with clean_state.app_context():
        trail = set(
            db.session.scalars(
                sa.select(ActivityEvent.detail).where(ActivityEvent.kind == "admin_retry")
            )
        )
    assert trail == {f"{failed[0]} by {ADMIN_EMAIL}", f"{failed[2]} by {ADMIN_EMAIL}"}

    # And the timeline of a retried job shows the retry and its new attempt on a worker
    page.goto(f"{live_server}/admin/archives/{failed[0]}")
    expect(page.locator("#timeline")).to_contain_text("Retried by an admin")
    expect(page.locator("#timeline")).to_contain_text(f"by {ADMIN_EMAIL}")
    expect(page.locator("#timeline")).to_contain_text("Attempt 1", timeout=60_000)
    assert layout_problems(page) == []

    # And the page works on a phone: nothing wider than the screen but the tables' own scroll
    phone = browser.new_page(viewport={"width": 390, "height": 844}, bypass_csp=True)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{live_server}/admin")
    assert layout_problems(phone) == []  # no sideways scroll, no axe-core violation
    phone.screenshot(path=str(pictures / "admin-dashboard-phone.png"), full_page=True)
    with clean_state.app_context():
        statuses = {str(job.id): job.status for job in db.session.scalars(sa.select(ArchiveJob))}
    assert statuses[failed[1]] == "failed" and statuses[failed[0]] != "failed"
    phone.close()
    page.close()
    with clean_state.app_context():
        transitions.cancel(claim)  # the held build ends, so the suite need not wait for it
