"""An account filled with content that breaks careless layouts: long words, RTL, many lines."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask

from tests.support.http import PASSWORD
from webapp.archives.models import ArchiveJob
from webapp.auth.accounts import create_user
from webapp.auth.models import ActivityEvent
from webapp.extensions import db
from webapp.notes import storage
from webapp.notes.models import Attachment, Note
from webapp.types import utcnow

EMAIL = "a-rather-long-local-part-without-any-break-at-all-0123456789@example.com"
TITLE_MAX = Note.title.type.length  # the column's limit; the form refuses longer titles
LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitän" * 8
LONG_URL = "https://example.com/" + "a/very/deep/path/" * 12 + "?q=" + "x" * 120
RTL = "שלום עולם — مرحبا بالعالم، هذه ملاحظة مكتوبة من اليمين إلى اليسار"
NON_ASCII = "Zoë’s naïve café ✓ 日本語のメモ 🧾🗂️ Ω≈ç√∫ e\u0301\u0301\u0301"
WIDE_TABLE = "\n".join(
    "|" + "|".join(f"column-{c}-row-{r}-{'w' * 12}" for c in range(12)) + "|" for r in range(6)
)
MANY_LINES = "\n".join(f"Line {n}: keeps its own line." for n in range(1, 61)) + "\n\n\nAfter gaps."
USER_AGENT = ("Mozilla/5.0 (X11; Linux x86_64) " + "AppleWebKit/537.36-" * 20)[:255]


def _title(text: str) -> str:
    """Fill a title to the column's limit, so the longest allowed title is on the page."""
    return (text * (TITLE_MAX // max(1, len(text)) + 1))[:TITLE_MAX]


# Oldest first: the pages list the newest first, so the longest word leads.
NOTES = [
    (
        "Markup stays text <script>alert(1)</script>",
        "<b>not bold</b>\n<img src=x onerror=alert(1)>",
    ),
    ("A wide table, pasted", WIDE_TABLE),
    (NON_ASCII, NON_ASCII * 5),
    (RTL, RTL + "\n" + RTL),
    (_title(LONG_URL), LONG_URL + "\n\n" + LONG_WORD),
    (_title(LONG_WORD), MANY_LINES),
]
FILE_NAMES = [_title(LONG_WORD)[:250] + ".txt", RTL[:60] + ".pdf", NON_ASCII + ".png"]


@dataclass(frozen=True)
class Account:
    """What the seeded account holds, for tests that need its ids."""

    user_id: int
    email: str
    password: str
    note_id: int  # the note with the longest word for a title, for the pages of one note
    file_id: int  # the file with the longest name, for the pages of one file


def fill_account(app: Flask, *, admin: bool = True, jobs: bool = True) -> Account:
    """Create the account and its notes, files, activity and (optionally) jobs in every state."""
    with app.app_context():
        user = create_user(EMAIL, PASSWORD, is_admin=admin)
        db.session.flush()
        notes = [Note(user_id=user.id, title=title, body=body) for title, body in NOTES]
        for note in notes:
            db.session.add(note)
            db.session.flush()  # one at a time, so ids (the pages' order) follow the list
        files = []
        for name in FILE_NAMES:
            content = (name * 40).encode()
            stored = storage.write_upload(io.BytesIO(content))
            files.append(
                Attachment(
                    user_id=user.id,
                    original_name=name[:255],
                    storage_key=stored.key,
                    size=stored.size,
                    content_type="text/plain",
                    sha256=stored.sha256,
                    crc32=stored.crc32,
                )
            )
        db.session.add_all(files)
        db.session.flush()
        for kind in ("login", "login_failed", "archive_requested", "some_future_kind"):
            db.session.add(
                ActivityEvent(
                    user_id=user.id,
                    kind=kind,
                    ip="2001:db8::1",
                    user_agent=USER_AGENT,
                    detail=str(uuid.uuid4()),
                )
            )
        if jobs:
            _add_jobs(user.id)
        db.session.commit()
        return Account(user.id, EMAIL, PASSWORD, notes[-1].id, files[0].id)


def _add_jobs(user_id: int) -> None:
    """One job per state, newest first as the pages list them, as they must all show."""
    now = utcnow()
    states = [
        dict(
            status="running",
            progress=42,
            phase="notes",
            items_done=4200,
            items_total=10000,
            attempts=1,
            started_at=now,
            lease_until=now + timedelta(hours=1),
        ),
        dict(
            status="succeeded",
            progress=100,
            phase="done",
            finished_at=now,
            expires_at=now + timedelta(days=7),
            storage_key="missing.zip",
            size=5 * 2**30 + 7,
            sha256="ab" * 32,
        ),
        dict(
            status="failed",
            progress=17,
            phase="failed",
            finished_at=now,
            error_code="internal_error",
            error="Something went wrong: " + LONG_WORD,
        ),
        dict(status="cancelled", phase="cancelled", finished_at=now),
        dict(
            status="expired",
            progress=100,
            phase="done",
            finished_at=now,
            expires_at=now - timedelta(days=1),
            size=1234,
            sha256="cd" * 32,
        ),
    ]
    for age, state in enumerate(states):
        requested = now - timedelta(hours=age + 1)
        db.session.add(
            ArchiveJob(id=uuid.uuid4(), user_id=user_id, requested_at=requested, **state)
        )
