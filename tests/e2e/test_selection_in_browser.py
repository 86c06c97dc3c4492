"""Shaping an export in a real browser: the data changes, then sections and a range are chosen,
estimated, built in parts while the page shows its progress, and every part downloads."""

from __future__ import annotations

import re
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import layout_problems, log_in, make_account, tab_to
from tests.e2e.watched import RECORDER, assert_rose_to_100, build_in_thread, watch
from webapp.archives import transitions
from webapp.archives.verify import verify_set
from webapp.extensions import db
from webapp.notes.models import Attachment, Note

PASSWORD = "a browser test password"
PART = 128 * 1024  # several 100 KiB files make several parts
LONG_AGO = datetime(2020, 6, 1, tzinfo=UTC)  # before the chosen range


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


def age_some(app: Flask, notes: int, files: int) -> tuple[set[int], set[int]]:
    """Date the first notes and files back to before the range; return their ids."""
    with app.app_context():
        old_notes = set(db.session.scalars(sa.select(Note.id).order_by(Note.id).limit(notes)))
        old_files = set(
            db.session.scalars(sa.select(Attachment.id).order_by(Attachment.id).limit(files))
        )
        db.session.execute(
            sa.update(Note).where(Note.id.in_(old_notes)).values(created_at=LONG_AGO)
        )
        db.session.execute(
            sa.update(Attachment).where(Attachment.id.in_(old_files)).values(created_at=LONG_AGO)
        )
        db.session.commit()
    return old_notes, old_files


def test_user_chooses_sections_and_a_range_sees_the_estimate_watches_and_gets_each_part(
    clean_state: Flask,
    live_server: str,
    paused_worker: Any,
    browser: Browser,
    runner: FlaskCliRunner,
    tmp_path: Path,
    pictures: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given an account with notes and files, some made before the range the user will choose
    monkeypatch.setattr(transitions, "HEARTBEAT_SECONDS", 0.0)  # the test sees every report
    clean_state.config["ARCHIVE_PART_SIZE"] = PART
    page = browser.new_page(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page.add_init_script(RECORDER)
    make_account(clean_state, "chooser@example.com", PASSWORD)
    log_in(page, live_server, "chooser@example.com", PASSWORD)
    seed = ["--notes", "600", "--files", "4", "--file-kib", "100"]
    seeded = runner.invoke(args=["demo", "seed", "chooser@example.com", *seed])
    assert seeded.exit_code == 0, seeded.output
    old_notes, old_files = age_some(clean_state, notes=200, files=1)

    # The page shows an estimate for everything (600 notes and more) before anything is chosen
    page.goto(f"{live_server}/archives")
    expect(page.locator("#estimate")).to_contain_text(re.compile(r"6\d\d items"))
    everything = page.locator("#estimate").inner_text()

    # Choosing notes and files, created in a range, changes the estimate before the request
    until = (date.today() + timedelta(days=2)).isoformat()
    page.uncheck("input[value=activity]")
    page.fill("input[name=since]", "2024-01-01")
    page.fill("input[name=until]", until)
    page.click("#update-estimate")
    expect(page.locator("#estimate")).not_to_have_text(everything)
    expect(page.locator("#estimate")).to_contain_text("407 items")  # 1 + 400 + 3 rows + 3 files
    assert layout_problems(page) == []
    page.screenshot(path=str(pictures / "archives-selection-desktop.png"), full_page=True)

    # Requesting it shows the choice on the job
    page.click("#request-archive")
    card = page.locator("article.job").first
    chosen = f"profile, notes, files · created from 2024-01-01 · before {until}"
    expect(card.locator(".selection")).to_contain_text(chosen)
    expect(card.locator(".selection")).to_contain_text("estimated")

    # The build, in parts, goes on only once the page has drawn each value it reports
    errors: list[BaseException] = []
    gate, build = build_in_thread(clean_state, "chooser@example.com", errors)
    written = watch(page, gate, build)
    assert not errors, errors
    links = page.locator('article[data-status="succeeded"] a.download-part')
    expect(links.first).to_be_visible()
    assert_rose_to_100(page, written)
    assert links.count() >= 3

    # Each part's link downloads it, and the set verifies
    folder = tmp_path / "parts"
    saved = []
    for index in range(links.count()):
        with page.expect_download() as download:
            links.nth(index).click()
        saved.append(folder / download.value.suggested_filename)
        download.value.save_as(saved[-1])
    assert saved[0].name.endswith(".zip") and saved[1].name.endswith(".part1.zip")
    report = verify_set([saved[0]])
    assert report.ok and report.parts == len(saved), report.problems

    # The parts hold only the chosen sections, and only the records in range
    members: dict[str, bytes] = {}
    for part in saved:
        with zipfile.ZipFile(part) as archive:
            for name in archive.namelist():
                if name.startswith(("notes.", "files.", "activity", "files/", "index.html")):
                    members[name] = archive.read(name)
    assert not any(name.startswith("activity") for name in members)
    notes = orjson.loads(members["notes.json"])
    files = orjson.loads(members["files.json"])
    assert len(notes) == 400 and not {note["id"] for note in notes} & old_notes
    assert len(files) == 3 and not {file["id"] for file in files} & old_files
    assert len([name for name in members if name.startswith("files/")]) == 3

    # And the index part's index.html still opens offline
    offline = tmp_path / "index.html"
    offline.write_bytes(members["index.html"])
    page.goto(offline.as_uri())
    expect(page.locator("h1")).to_contain_text("chooser@example.com")
    assert page.locator("script").count() == 0
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/archives")
    assert layout_problems(page) == []
    page.screenshot(path=str(pictures / "archives-selection-phone.png"), full_page=True)
    page.close()
