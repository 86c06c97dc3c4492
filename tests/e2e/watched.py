"""A real build the test runs itself, held after each heartbeat until the page has drawn it.

The build is runner.execute, as the Celery task calls it, in a thread, with a progress reporter
that writes the real heartbeat and then waits until the Archives page shows the new value. So
every value the page renders is recorded whatever the machine's speed. Tests set
transitions.HEARTBEAT_SECONDS to 0 so that every report is written, and use `paused_worker`
so that the Celery worker leaves the job to them.
"""

from __future__ import annotations

import queue
import threading
import uuid
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page

from webapp.archives import runner as archive_runner
from webapp.archives import transitions
from webapp.archives.models import ArchiveJob
from webapp.auth.models import User
from webapp.extensions import db

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


def watch(
    page: Page, gate: ShownOnPage, build: threading.Thread, midway: Path | None = None
) -> list[int]:
    """Let the build go on each time the page has drawn its last value; return those written.

    `midway`, when given, receives a screenshot of the first value between 1 and 99.
    """
    written: list[int] = []
    while build.is_alive() or not gate.written.empty():
        try:
            value = gate.written.get(timeout=0.2)
        except queue.Empty:
            continue
        written.append(value)
        page.wait_for_function("v => window.progressSeen.includes(v)", arg=value)
        if midway and 1 <= value <= 99 and not any(1 <= v <= 99 for v in written[:-1]):
            page.screenshot(path=str(midway))
        gate.shown.set()
    return written


def assert_rose_to_100(page: Page, written: list[int]) -> None:
    """Check that the page drew every value written, rising through 1-99 and ending at 100."""
    page.wait_for_function("() => window.progressSeen.includes(100)")
    seen: list[int] = page.evaluate("window.progressSeen")
    assert seen == sorted(seen), seen
    assert seen[-1] == 100 and any(1 <= v <= 99 for v in seen), seen
    assert set(written) <= set(seen), (written, seen)
