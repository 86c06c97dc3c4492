"""Keepsake's own archive sections: profile, notes, files and activity."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Executable

from webapp.archives.builder import Field, FileRef, Section
from webapp.archives.builder.names import safe_file_name
from webapp.archives.builder.postgres import copy_bulk
from webapp.archives.selection import Selection
from webapp.auth.models import ActivityEvent, User
from webapp.notes import storage
from webapp.notes.models import Attachment, Note

BATCH = 2000
TIME = ("string",)
ISO = "date-time"
# Deflating these again costs ~10x the time and saves nothing (bench/), so they are stored.
PACKED_TYPES = ("image/", "video/", "audio/mpeg", "audio/ogg", "audio/aac", "font/woff")
PACKED_EXTENSIONS = frozenset(
    "jpg jpeg png gif webp heic avif mp4 mov mkv webm mp3 ogg m4a aac flac zip gz tgz bz2 xz "
    "zst 7z rar docx xlsx pptx odt ods epub pdf woff woff2 jar apk".split()
)


def _stream(conn: Connection, query: Executable) -> Iterator[dict[str, Any]]:
    """Yield rows as dicts through a server-side cursor, BATCH rows at a time."""
    result = conn.execute(query.execution_options(yield_per=BATCH))
    try:
        for row in result.mappings():
            yield dict(row)
    finally:
        result.close()


def in_range(model: Any, user_id: int, span: Selection) -> sa.ColumnElement[bool]:
    """Match a user's rows of a table created within the selection's [since, until)."""
    condition: sa.ColumnElement[bool] = model.user_id == user_id
    if span.since is not None:
        condition = condition & (model.created_at >= span.since)
    if span.until is not None:
        condition = condition & (model.created_at < span.until)
    return condition


@dataclass(frozen=True)
class Span:
    """Which rows a section holds: the selection's range, and in an increment only newer ones."""

    selection: Selection
    newer: str | None = None  # SQL from watermark.newer: written after the previous archive


def _matching(model: Any, user_id: int, span: Span) -> sa.ColumnElement[bool]:
    """Match a user's rows of a table in the span."""
    condition = in_range(model, user_id, span.selection)
    return condition & sa.text(span.newer) if span.newer else condition


def _counter(model: Any, span: Span) -> Any:
    """Count a user's rows of a table in range, for progress totals and the manifest."""

    def count(conn: Connection, user_id: int) -> int:
        """Count the user's rows in range."""
        query = sa.select(sa.func.count()).select_from(model).where(_matching(model, user_id, span))
        return int(conn.scalar(query) or 0)

    return count


def member_path(attachment_id: int, original_name: str) -> str:
    """Name the archive member of an uploaded file: files/<id>-<safe name>."""
    return f"files/{attachment_id}-{safe_file_name(original_name)}"


def is_packed(content_type: str, name: str) -> bool:
    """Tell whether a file is already compressed, so deflating it would be wasted work."""
    extension = name.rpartition(".")[2].lower()
    return content_type.startswith(PACKED_TYPES) or extension in PACKED_EXTENSIONS


def _profile(conn: Connection, user_id: int) -> Iterator[dict[str, Any]]:
    """Yield the account's own row."""
    columns = (
        User.id,
        User.email,
        User.display_name,
        User.is_admin,
        User.created_at,
        User.last_login_at,
    )
    return _stream(conn, sa.select(*columns).where(User.id == user_id))


NOTE_COLUMNS = (Note.id, Note.title, Note.body, Note.created_at, Note.updated_at)
ACTIVITY_COLUMNS = (
    ActivityEvent.id,
    ActivityEvent.kind,
    ActivityEvent.created_at,
    ActivityEvent.ip,
    ActivityEvent.user_agent,
    ActivityEvent.detail,
)


def _rows_of(model: Any, columns: tuple[Any, ...], span: Span) -> Callable[[int], Select[Any]]:
    """A user's rows of a table in the span, oldest first: the one query of both paths."""

    def query(user_id: int) -> Select[Any]:
        """Select the user's rows."""
        return sa.select(*columns).where(_matching(model, user_id, span)).order_by(model.id)

    return query


def _notes(conn: Connection, user_id: int, span: Span) -> Iterator[dict[str, Any]]:
    """Yield the user's notes in range, oldest first."""
    return _stream(conn, _rows_of(Note, NOTE_COLUMNS, span)(user_id))


def _attachments(conn: Connection, user_id: int, span: Span) -> Iterator[dict[str, Any]]:
    """Yield the user's file rows in range, oldest first."""
    columns = (
        Attachment.id,
        Attachment.original_name,
        Attachment.storage_key,
        Attachment.size,
        Attachment.content_type,
        Attachment.sha256,
        Attachment.crc32,
        Attachment.created_at,
    )
    query = sa.select(*columns).where(_matching(Attachment, user_id, span)).order_by(Attachment.id)
    return _stream(conn, query)


def _file_records(conn: Connection, user_id: int, span: Span) -> Iterator[dict[str, Any]]:
    """Describe each file as files.json lists it, with its path in the archive."""
    for row in _attachments(conn, user_id, span):
        yield {
            "id": row["id"],
            "name": row["original_name"],
            "path": member_path(row["id"], row["original_name"]),
            "size": row["size"],
            "content_type": row["content_type"],
            "sha256": row["sha256"],
            "created_at": row["created_at"],
        }


def _file_refs(conn: Connection, user_id: int, span: Span) -> Iterator[FileRef]:
    """Point the builder at each stored file and say whether to deflate it."""
    for row in _attachments(conn, user_id, span):
        yield FileRef(
            member_name=member_path(row["id"], row["original_name"]),
            open=partial(storage.open_upload, row["storage_key"]),
            prefetch=partial(storage.prefetch_upload, row["storage_key"]),
            size=row["size"],
            sha256=row["sha256"],
            crc32=row["crc32"],
            compress=not is_packed(row["content_type"], row["original_name"]),
        )


def _activity(conn: Connection, user_id: int, span: Span) -> Iterator[dict[str, Any]]:
    """Yield the account's activity events in range, oldest first."""
    return _stream(conn, _rows_of(ActivityEvent, ACTIVITY_COLUMNS, span)(user_id))


def _profile_count(conn: Connection, user_id: int) -> int:
    """A profile section always has exactly one record."""
    return 1


def _sections(span: Span) -> tuple[Section, ...]:
    """Every section, each narrowed to the records created in the selection's range."""
    return (
        _profile_section(),
        _notes_section(span),
        _files_section(span),
        _activity_section(span),
    )


def _profile_section() -> Section:
    """The account itself: always one record, whatever the range."""
    return Section(
        "profile",
        "Your account",
        (
            Field("id", "integer", "Account number"),
            Field("email", "string", "Email address"),
            Field("display_name", "string", "Name shown in the app"),
            Field("is_admin", "boolean", "Whether the account administers Keepsake"),
            Field("created_at", TIME, "When the account was made", ISO),
            Field("last_login_at", ("string", "null"), "Latest login", ISO),
        ),
        _profile_count,
        _profile,
    )


def _notes_section(span: Span) -> Section:
    """The user's notes in range."""
    return Section(
        "notes",
        "Your notes",
        (
            Field("id", "integer", "Note number"),
            Field("title", "string", "Title"),
            Field("body", "string", "Text"),
            Field("created_at", TIME, "When it was written", ISO),
            Field("updated_at", TIME, "When it last changed", ISO),
        ),
        _counter(Note, span),
        partial(_notes, span=span),
        bulk=copy_bulk(_rows_of(Note, NOTE_COLUMNS, span)),
    )


def _files_section(span: Span) -> Section:
    """The user's files in range: their rows, then their bytes."""
    return Section(
        "files",
        "Your uploaded files",
        (
            Field("id", "integer", "File number"),
            Field("name", "string", "Name as uploaded"),
            Field("path", "string", "Where the file is in this archive"),
            Field("size", "integer", "Size in bytes"),
            Field("content_type", "string", "Media type given at upload"),
            Field("sha256", "string", "SHA-256 of the bytes"),
            Field("created_at", TIME, "When it was uploaded", ISO),
        ),
        _counter(Attachment, span),
        partial(_file_records, span=span),
        partial(_file_refs, span=span),
    )


def _activity_section(span: Span) -> Section:
    """The account's activity events in range."""
    return Section(
        "activity",
        "Logins and archive events on your account",
        (
            Field("id", "integer", "Event number"),
            Field("kind", "string", "What happened"),
            Field("created_at", TIME, "When", ISO),
            Field("ip", ("string", "null"), "Address it came from"),
            Field("user_agent", ("string", "null"), "Browser or client"),
            Field("detail", ("string", "null"), "More about it"),
        ),
        _counter(ActivityEvent, span),
        partial(_activity, span=span),
        bulk=copy_bulk(_rows_of(ActivityEvent, ACTIVITY_COLUMNS, span)),
    )


SECTIONS = _sections(Span(Selection.everything()))


def sections_for(selection: Selection, newer: str | None = None) -> tuple[Section, ...]:
    """The chosen sections in archive order, in range; `newer` narrows them to what changed."""
    return tuple(s for s in _sections(Span(selection, newer)) if s.name in selection.sections)
