"""An archive in parts and a schedule in a real browser: every part downloads, the set verifies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskCliRunner
from playwright.sync_api import Browser, Page, expect

from webapp.archives.verify import verify_set

PASSWORD = "a browser test password"
PART = 128 * 1024


def signed_up(browser: Browser, live_server: str, email: str, width: int) -> Page:
    page = browser.new_page(accept_downloads=True, viewport={"width": width, "height": 900})
    for path in ("/auth/register", "/auth/login"):
        page.goto(f"{live_server}{path}")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_server}/notes")
    return page


def test_user_downloads_every_part_of_a_large_archive(
    live_server: str,
    clean_state: Flask,
    worker: Any,
    browser: Browser,
    runner: FlaskCliRunner,
    tmp_path: Path,
) -> None:
    clean_state.config["ARCHIVE_PART_SIZE"] = PART
    page = signed_up(browser, live_server, "parts-browser@example.com", 1280)
    seeded = runner.invoke(
        args=["demo", "seed", "parts-browser@example.com", "--notes", "2000"]
        + ["--files", "6", "--file-kib", "100"]
    )
    assert seeded.exit_code == 0, seeded.output

    page.goto(f"{live_server}/archives")
    page.click("#request-archive")
    links = page.locator('article[data-status="succeeded"] a.download-part')
    expect(links.first).to_be_visible(timeout=60_000)
    assert links.count() >= 3
    page.screenshot(path=str(tmp_path / "parts-1280.png"), full_page=True)
    saved = []
    for index in range(links.count()):
        with page.expect_download() as download:
            links.nth(index).click()
        saved.append(tmp_path / download.value.suggested_filename)
        download.value.save_as(saved[-1])
    assert saved[0].name.endswith(".zip") and saved[1].name.endswith(".part1.zip")
    report = verify_set([saved[0]])
    assert report.ok and report.parts == len(saved), report.problems
    page.set_viewport_size({"width": 390, "height": 900})
    page.screenshot(path=str(tmp_path / "parts-390.png"), full_page=True)
    page.close()


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
