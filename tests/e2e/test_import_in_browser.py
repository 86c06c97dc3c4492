"""A person moves in with a browser: upload an archive, watch it being checked, see the notes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import log_in, make_account
from tests.support import archives

PASSWORD = "a browser test password"
NOTES = 40_000  # a few seconds of work, so the page shows the import under way


def test_import_an_archive_watch_it_and_see_the_notes_arrive(
    clean_state: Flask, live_server: str, worker: Any, browser: Browser, tmp_path: Path
) -> None:
    notes = [archives.note(i, title=f"Moved note {i}") for i in range(NOTES)]
    path = archives.write(tmp_path / "moving.zip", archives.members(notes, {"a.txt": b"hi\n"}))
    make_account(clean_state, "mover@example.com", PASSWORD)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    log_in(page, live_server, "mover@example.com", PASSWORD)
    page.click("nav >> text=Import")
    page.set_input_files("input[name=archive]", str(path))
    page.click("#start-import")
    # The card shows the import under way, with a live bar, then the page shows what came in
    expect(page.locator("#imports .job progress")).to_be_visible()
    expect(page.locator("#imports .added")).to_contain_text(
        f"Added {NOTES} notes and 1 file", timeout=120_000
    )
    page.screenshot(path=str(tmp_path / "imported.png"))
    page.click("#imports .added a")
    expect(page.locator("main")).to_contain_text("Moved note")
    page.close()
