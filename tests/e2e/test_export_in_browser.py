"""A person's whole export in a real browser: register, note, request, watch, download, open.

The build is the real one, run by the test and held after each heartbeat until the page has
drawn it (tests/e2e/watched.py), so every value the page renders is recorded.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from flask.testing import FlaskCliRunner
from playwright.sync_api import Browser, Page, expect

from tests.e2e.watched import RECORDER, assert_rose_to_100, build_in_thread, watch
from webapp.archives import transitions
from webapp.archives.verify import verify_archive

PASSWORD = "a browser test password"
EMAIL = "browser@example.com"
SEEDED = 3000  # notes: enough for several reports, each of which the page must draw


def sign_up_in_browser(page: Page, base: str) -> None:
    """Register and log in through the forms."""
    page.goto(f"{base}/auth/register")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("log in")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    expect(page).to_have_url(f"{base}/notes")


def test_user_watches_progress_rise_to_100_and_downloads_the_archive(
    live_server: str,
    paused_worker: Any,
    browser: Browser,
    runner: FlaskCliRunner,
    tmp_path: Path,
    pictures: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every report is written, however fast this machine builds: the test sees each one.
    monkeypatch.setattr(transitions, "HEARTBEAT_SECONDS", 0.0)
    app = runner.app
    page = browser.new_page(accept_downloads=True, viewport={"width": 1100, "height": 800})
    page.add_init_script(RECORDER)
    sign_up_in_browser(page, live_server)

    # Add a note, and enough generated data that the build has several steps to report
    page.fill("input[name=title]", "Written in a browser <script>")
    page.fill("textarea[name=body]", "Kept safe.\n\nOn two paragraphs.")
    page.click("button:has-text('Save note')")
    expect(page.locator("article h3").first).to_have_text("Written in a browser <script>")
    seed = ["--notes", str(SEEDED), "--files", "3", "--file-kib", "32"]
    seeded = runner.invoke(args=["demo", "seed", EMAIL, *seed])
    assert seeded.exit_code == 0, seeded.output

    # Request an archive; the build reports each value and waits until the page has drawn it
    page.goto(f"{live_server}/archives")
    page.click("#request-archive")
    page.evaluate("window.sameDocument = true")
    errors: list[BaseException] = []
    gate, build = build_in_thread(app, EMAIL, errors)
    written = watch(page, gate, build, midway=pictures / "archives-progress.png")
    assert not errors, errors
    done = page.locator('article[data-status="succeeded"] a.download')
    expect(done).to_be_visible()

    # Every value drawn rose through 1-99 to 100, without a reload; the first line made sense
    assert_rose_to_100(page, written)
    assert page.evaluate("window.sameDocument") is True
    lines: list[str] = page.evaluate("window.linesSeen")
    assert "0 / 0" not in lines[0] and "0 of 0" not in lines[0], lines
    page.screenshot(path=str(pictures / "archives-page.png"), full_page=True)

    # Download it and open it
    with page.expect_download() as download_info:
        done.click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    assert saved.suffix == ".zip"
    assert verify_archive(saved).ok
    with zipfile.ZipFile(saved) as archive:
        notes = orjson.loads(archive.read("notes.json"))
        titles = {note["title"] for note in notes}
        assert "Written in a browser <script>" in titles and len(notes) == SEEDED + 1
        offline = tmp_path / "index.html"
        offline.write_bytes(archive.read("index.html"))

    # The offline page opens from disk and shows the note as text, never as markup
    page.goto(offline.as_uri())
    expect(page.locator("h1")).to_contain_text(EMAIL)
    expect(page.locator("td", has_text="Written in a browser <script>")).to_have_count(1)
    assert page.locator("script").count() == 0
    page.close()
