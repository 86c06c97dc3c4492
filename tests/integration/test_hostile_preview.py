"""An account built to be hostile still builds, and index.html shows a bounded, marked preview."""

from __future__ import annotations

import zipfile
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from webapp.archives import actions, runner, transitions
from webapp.archives.builder.preview import CELL_CHARS
from webapp.auth.accounts import create_user
from webapp.extensions import db
from webapp.notes.models import Note

HUGE = "😀" * 100_000


def test_huge_notes_build_and_the_preview_is_cut_and_says_so(clean_state: Flask) -> None:
    with clean_state.app_context():
        user = create_user("hostile@example.com", "a long enough password")
        db.session.flush()
        rows = [{"user_id": user.id, "title": "😀" * 200, "body": HUGE} for _ in range(40)]
        db.session.execute(sa.insert(Note), rows)
        db.session.commit()
        job, _ = actions.request_archive(user.id, ignore_cooldown=True, enqueue_message=False)
        claim = transitions.claim(user.id, 600)
        assert claim is not None
        assert runner.execute(claim, user) == "succeeded"
        db.session.refresh(job)
        path = Path(clean_state.config["ARCHIVE_DIR"]) / str(job.storage_key)
    with zipfile.ZipFile(path) as archive:
        page = archive.read("index.html").decode()
        assert len(archive.read("notes.json")) > 40 * len(HUGE.encode())
    budget = int(clean_state.config["ARCHIVE_PREVIEW_BYTES"])
    assert len(page.encode()) < 4 * budget  # bounded by bytes, not by 40 huge rows
    assert "Long values are shortened here" in page
    assert "This page shows the first" in page
    assert "😀" * CELL_CHARS + "…" in page
