"""A person's whole export in a real browser: register, note, request, watch, download, open."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import orjson
from flask.testing import FlaskCliRunner
from playwright.sync_api import Browser, expect

from webapp.archives.verify import verify_archive

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a browser test password"


def test_user_watches_progress_and_downloads_the_archive(
    live_server: str, worker: Any, browser: Browser, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    page = browser.new_page(accept_downloads=True, viewport={"width": 1100, "height": 800})
    # Register and log in
    page.goto(f"{live_server}/auth/register")
    page.fill("input[name=email]", "browser@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("log in")
    page.fill("input[name=email]", "browser@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_server}/notes")

    # Add a note, and enough generated data that the build takes a few seconds
    page.fill("input[name=title]", "Written in a browser <script>")
    page.fill("textarea[name=body]", "Kept safe.")
    page.click("button:has-text('Save note')")
    expect(page.locator("article h3").first).to_have_text("Written in a browser <script>")
    seeded = runner.invoke(
        args=[
            "demo",
            "seed",
            "browser@example.com",
            "--notes",
            "500000",
            "--files",
            "2",
            "--file-kib",
            "32",
        ]
    )
    assert seeded.exit_code == 0, seeded.output

    # Request an archive and watch the bar move without reloading the page
    page.goto(f"{live_server}/archives")
    page.click("#request-archive")
    page.evaluate("window.__sameDocument = true")
    running = page.locator('article[data-status="running"] progress')
    expect(running).to_be_visible(timeout=30_000)
    expect(running).to_have_attribute("value", re.compile(r"^[1-9][0-9]?$"), timeout=30_000)
    page.screenshot(path=str(ROOT / "docs" / "archives-progress.png"))
    done = page.locator('article[data-status="succeeded"] a.download')
    expect(done).to_be_visible(timeout=120_000)
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    page.screenshot(path=str(ROOT / "docs" / "archives-page.png"), full_page=True)

    # Download it and open it
    with page.expect_download() as download_info:
        done.click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    assert saved.suffix == ".zip"
    assert verify_archive(saved).ok
    with zipfile.ZipFile(saved) as archive:
        titles = {note["title"] for note in orjson.loads(archive.read("notes.json"))}
        assert "Written in a browser <script>" in titles and len(titles) == 500_001
        offline = tmp_path / "index.html"
        offline.write_bytes(archive.read("index.html"))

    # The offline page opens from disk and shows the note as text, never as markup
    page.goto(offline.as_uri())
    expect(page.locator("h1")).to_contain_text("browser@example.com")
    expect(page.locator("td", has_text="Written in a browser <script>")).to_have_count(1)
    assert page.locator("script").count() == 0
    page.close()
