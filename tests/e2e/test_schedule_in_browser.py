"""Scheduled exports in a real browser: start one with its choice, see it, stop it.

An archive in parts is downloaded part by part in test_selection_in_browser.py.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, expect

PASSWORD = "a browser test password"


def signed_up(browser: Browser, live_server: str, email: str, width: int) -> Page:
    page = browser.new_page(viewport={"width": width, "height": 900})
    for path in ("/auth/register", "/auth/login"):
        page.goto(f"{live_server}{path}")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_server}/notes")
    return page


def test_user_starts_and_stops_scheduled_exports(
    live_server: str, browser: Browser, tmp_path: Path
) -> None:
    page = signed_up(browser, live_server, "schedule-browser@example.com", 390)
    page.goto(f"{live_server}/archives")
    page.click("#schedule-link")
    page.select_option("select[name=every_months]", "2")
    page.check("input[name=incremental]")
    page.click("#save-schedule")
    expect(page.locator("#schedule")).to_contain_text("Every 2 months")
    expect(page.locator("#schedule")).to_contain_text("only what changed")
    page.screenshot(path=str(tmp_path / "schedule-390.png"), full_page=True)
    page.click("#stop-schedule")
    expect(page.locator("#schedule")).to_have_count(0)
    expect(page.locator("#save-schedule")).to_have_text("Start scheduled exports")
    page.close()
