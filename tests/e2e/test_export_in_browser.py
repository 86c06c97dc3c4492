"""A person's whole export in a real browser: register, note, request, watch, download, open.

The build is the real one (runner.execute, as the Celery task calls it), run by the test with
a progress reporter that, after each heartbeat it writes, holds the build until the page has
drawn that value. So every value the page renders is recorded whatever the machine's speed.
"""

from __future__ import annotations

import queue
import threading
import uuid
import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from playwright.sync_api import Browser, Page, expect

from webapp.archives import runner as archive_runner
from webapp.archives import transitions
from webapp.archives.models import ArchiveJob
from webapp.archives.verify import verify_archive
from webapp.auth.models import User
from webapp.extensions import db

PASSWORD = "a browser test password"
EMAIL = "browser@example.com"
LEASE_SECONDS = 600
# Records every progress value and progress line the Archives page draws, in order.
RECORDER = """
window.progressSeen = []; window.linesSeen = [];
document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("archives");
  if (!root) return;
  const push = (list, value) => { if (list[list.length - 1] !== value) list.push(value); };
  const record = () => {
    root.querySelectorAll("progress").forEach((bar) => push(window.progressSeen, bar.value));
    root.querySelectorAll(".phase").forEach((line) => push(window.linesSeen, line.textContent));
  };
  record();
  new MutationObserver(record).observe(root, { subtree: true, childList: true,
    characterData: true, attributes: true, attributeFilter: ["value"] });
});
"""


SEEDED = 3000  # notes: enough for several reports, each of which the page must draw


class ShownOnPage:
    """The real heartbeat, then a pause after each new value until the page has shown it."""

    def __init__(self, heartbeat: transitions.Heartbeat, job_id: uuid.UUID) -> None:
        self.heartbeat = heartbeat
        self.job_id = job_id
        self.written: queue.Queue[int] = queue.Queue()
        self.shown = threading.Event()
        self.last: int | None = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        """Report progress as the worker does; wait while the page catches up."""
        self.heartbeat(phase, done, total)
        with db.engine.connect() as conn:
            value = conn.scalar(sa.select(ArchiveJob.progress).where(ArchiveJob.id == self.job_id))
        if value is not None and value != self.last:
            self.last = value
            self.written.put(value)
            self.shown.wait(timeout=60)
            self.shown.clear()


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


def build_in_thread(
    app: Flask, email: str, errors: list[BaseException]
) -> tuple[ShownOnPage, threading.Thread]:
    """Claim the queued job and build it in a thread, reporting through ShownOnPage."""
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        assert user is not None
        db.session.expunge(user)
        claim = transitions.claim(user.id, LEASE_SECONDS)
    assert claim is not None
    gate = ShownOnPage(transitions.Heartbeat(claim, LEASE_SECONDS), claim.job_id)

    def run() -> None:
        try:
            with app.app_context():
                assert archive_runner.execute(claim, user, gate) == "succeeded"
        except BaseException as error:  # handed to the test, which fails with it
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return gate, thread


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
    written: list[int] = []
    while build.is_alive() or not gate.written.empty():
        try:
            value = gate.written.get(timeout=0.2)
        except queue.Empty:
            continue
        written.append(value)
        page.wait_for_function("v => window.progressSeen.includes(v)", arg=value)
        if 1 <= value <= 99 and not any(1 <= v <= 99 for v in written[:-1]):
            page.screenshot(path=str(pictures / "archives-progress.png"))
        gate.shown.set()
    assert not errors, errors
    done = page.locator('article[data-status="succeeded"] a.download')
    expect(done).to_be_visible()
    page.wait_for_function("() => window.progressSeen.includes(100)")
    assert page.evaluate("window.sameDocument") is True  # no reload happened

    # Every value drawn rose through 1-99 and ended at 100; the first line made sense
    seen: list[int] = page.evaluate("window.progressSeen")
    assert seen == sorted(seen), seen
    assert seen[-1] == 100 and any(1 <= v <= 99 for v in seen), seen
    assert set(written) <= set(seen), (written, seen)
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
