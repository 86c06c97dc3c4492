"""Choosing what to export in a real browser: sections and a range, the estimate, the archive."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import orjson
from flask import Flask
from flask.testing import FlaskCliRunner
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import layout_problems, log_in, make_account, tab_to
from webapp.archives.verify import verify_archive

PASSWORD = "a browser test password"


def test_user_edits_and_deletes_a_note_in_the_browser(
    clean_state: Flask, live_server: str, browser: Browser, pictures: Path
) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    make_account(clean_state, "editor@example.com", PASSWORD)
    log_in(page, live_server, "editor@example.com", PASSWORD)
    page.fill("input[name=title]", "First draft")
    page.fill("textarea[name=body]", "Needs work.")
    page.click("button:has-text('Save note')")

    page.get_by_role("link", name="Edit note First draft").click()
    assert layout_problems(page) == []
    page.fill("input[name=title]", "Final text")
    page.click("button:has-text('Save changes')")
    expect(page.locator(".flash")).to_contain_text("Note updated")
    expect(page.locator("article h3")).to_have_text(["Final text"])
    assert layout_problems(page) == []
    page.screenshot(path=str(pictures / "notes-edited-phone.png"), full_page=True)

    # Delete asks first, on a page that names the note; Cancel keeps it
    page.get_by_role("link", name="Delete note Final text").click()
    expect(page.locator("h1")).to_have_text("Delete this note?")
    expect(page.locator("main article strong")).to_have_text("Final text")
    assert layout_problems(page) == []
    page.get_by_role("link", name="Cancel", exact=True).click()
    expect(page.locator("article h3")).to_have_text(["Final text"])

    # Confirmed from the keyboard, it goes, and the page says which note went
    page.get_by_role("link", name="Delete note Final text").click()
    tab_to(page, "button.danger")
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_have_text("Deleted the note Final text.")
    expect(page.locator("article h3")).to_have_count(0)
    page.close()


def test_user_chooses_sections_and_a_range_sees_the_estimate_and_gets_that_archive(
    clean_state: Flask,
    live_server: str,
    worker: Any,
    browser: Browser,
    runner: FlaskCliRunner,
    tmp_path: Path,
    pictures: Path,
) -> None:
    page = browser.new_page(accept_downloads=True, viewport={"width": 1280, "height": 900})
    make_account(clean_state, "chooser@example.com", PASSWORD)
    log_in(page, live_server, "chooser@example.com", PASSWORD)
    seeded = runner.invoke(
        args=["demo", "seed", "chooser@example.com", "--notes", "2000", "--files", "2"]
    )
    assert seeded.exit_code == 0, seeded.output

    # The page shows an estimate for everything before anything is chosen
    page.goto(f"{live_server}/archives")
    expect(page.locator("#estimate")).to_contain_text("2,0")  # 2,000 notes and more
    everything = page.locator("#estimate").inner_text()

    # Choosing notes only, from a date on, changes the estimate before the request
    page.uncheck("input[value=files]")
    page.uncheck("input[value=activity]")
    page.fill("input[name=since]", "2000-01-01")
    page.click("#update-estimate")
    expect(page.locator("#estimate")).not_to_have_text(everything)
    expect(page.locator("#estimate")).to_contain_text("2,001 items")  # the notes + profile
    assert layout_problems(page) == []
    page.screenshot(path=str(pictures / "archives-selection-desktop.png"), full_page=True)

    # Requesting it shows the choice on the job, and the archive holds only that
    page.click("#request-archive")
    card = page.locator("article.job").first
    expect(card.locator(".selection")).to_contain_text("profile, notes · created from 2000-01-01")
    expect(card.locator(".selection")).to_contain_text("estimated")
    done = page.locator('article[data-status="succeeded"] a.download')
    expect(done).to_be_visible(timeout=60_000)
    with page.expect_download() as download_info:
        done.click()
    saved = tmp_path / "chosen.zip"
    download_info.value.save_as(saved)
    assert verify_archive(saved).ok
    with zipfile.ZipFile(saved) as archive:
        names = set(archive.namelist())
        assert len(orjson.loads(archive.read("notes.json"))) == 2000
        assert not any(n.startswith(("files", "activity")) for n in names)
        offline = tmp_path / "index.html"
        offline.write_bytes(archive.read("index.html"))

    # And its index.html still opens offline
    page.goto(offline.as_uri())
    expect(page.locator("h1")).to_contain_text("chooser@example.com")
    assert page.locator("script").count() == 0
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/archives")
    assert layout_problems(page) == []
    page.screenshot(path=str(pictures / "archives-selection-phone.png"), full_page=True)
    page.close()
