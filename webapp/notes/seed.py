"""Generated demo data in bulk: COPY on PostgreSQL, batched inserts elsewhere."""

from __future__ import annotations

import io
import itertools
import os
from collections.abc import Iterator
from datetime import datetime, timedelta

import sqlalchemy as sa

from webapp.extensions import db
from webapp.notes import storage
from webapp.notes.models import Attachment, Note
from webapp.notes.prose import make_prose
from webapp.types import utcnow

BATCH = 20_000
TEXTS = ("simple", "realistic")
WORDS = (
    "archive keep export note memory garden river lantern paper quiet window "
    "morning letter travel recipe budget idea meeting draft summer winter"
).split()


def _bodies() -> list[str]:
    """A few hundred varied bodies, cycled, so generation costs nothing per row."""
    out = []
    for i in range(397):
        words = [WORDS[(i * 7 + j * 3) % len(WORDS)] for j in range(20 + i % 60)]
        out.append(" ".join(words).capitalize() + ".")
    return out


def _simple_texts() -> Iterator[tuple[str, str]]:
    """Titles and bodies that cost nothing per row (they compress ten times better than prose)."""
    for i, body in enumerate(itertools.cycle(_bodies())):
        yield f"Note {i + 1}: {WORDS[i % len(WORDS)]}", body


def note_rows(
    user_id: int, count: int, start: datetime, text: str = "simple"
) -> Iterator[tuple[object, ...]]:
    """Yield (user_id, title, body, created_at, updated_at) for `count` notes."""
    texts = make_prose().notes() if text == "realistic" else _simple_texts()
    for i, (title, body) in zip(range(count), texts, strict=False):
        # Whole seconds plus a varying fraction, so every timestamp spelling gets exercised.
        stamp = start + timedelta(seconds=i, microseconds=(i * 7919) % 1_000_000)
        yield (user_id, title, body, stamp, stamp)


def seed_notes(user_id: int, count: int, text: str = "simple") -> None:
    """Insert `count` notes for a user as fast as the database allows."""
    rows = note_rows(user_id, count, utcnow() - timedelta(seconds=count + 1), text)
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        copy_sql = "COPY notes (user_id, title, body, created_at, updated_at) FROM STDIN"
        with connection.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        return
    keys = ("user_id", "title", "body", "created_at", "updated_at")
    while batch := [dict(zip(keys, row, strict=True)) for row in itertools.islice(rows, BATCH)]:
        db.session.execute(sa.insert(Note), batch)


def _file_bytes(index: int, size: int) -> tuple[str, str, bytes]:
    """Alternate incompressible 'photos' and plain text documents."""
    if index % 2 == 0:
        return f"photo-{index + 1}.jpg", "image/jpeg", os.urandom(size)
    line = (" ".join(WORDS) + "\n").encode()
    return f"document-{index + 1}.txt", "text/plain", (line * (size // len(line) + 1))[:size]


def seed_files(user_id: int, count: int, size: int) -> None:
    """Store `count` generated files of `size` bytes and record them."""
    rows = []
    for i in range(count):
        name, content_type, data = _file_bytes(i, size)
        stored = storage.write_upload(io.BytesIO(data))
        rows.append(
            {
                "user_id": user_id,
                "original_name": name,
                "storage_key": stored.key,
                "size": stored.size,
                "content_type": content_type,
                "sha256": stored.sha256,
                "crc32": stored.crc32,
            }
        )
    if rows:
        db.session.execute(sa.insert(Attachment), rows)
