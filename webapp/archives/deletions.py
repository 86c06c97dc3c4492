"""The `deleted` section of an increment: notes and files deleted since the archive it continues."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from webapp.archives.builder import Field, Section
from webapp.notes.models import Tombstone

NAME = "deleted"
BATCH = 2000
# Sections whose records can be deleted, each remembered by a tombstone.
DELETABLE = ("notes", "files")


def deleted_section(chosen: tuple[str, ...], newer: str) -> Section:
    """List what was deleted among the chosen sections' records since the previous archive."""
    sections = tuple(name for name in DELETABLE if name in chosen)

    def matching(user_id: int) -> sa.ColumnElement[bool]:
        """The user's tombstones of these sections written after the previous archive."""
        # A deleted record's creation time went with it, so a range cannot narrow tombstones;
        # an id the reader never had is simply not there to delete.
        mine = (Tombstone.user_id == user_id) & Tombstone.section.in_(sections)
        return mine & sa.text(newer)

    def count(conn: Connection, user_id: int) -> int:
        """Count the deletions."""
        query = sa.select(sa.func.count()).select_from(Tombstone).where(matching(user_id))
        return int(conn.scalar(query) or 0)

    def records(conn: Connection, user_id: int) -> Iterator[dict[str, Any]]:
        """Yield each deletion, oldest first."""
        columns = (Tombstone.section, Tombstone.record_id.label("id"), Tombstone.deleted_at)
        query = sa.select(*columns).where(matching(user_id)).order_by(Tombstone.id)
        result = conn.execute(query.execution_options(yield_per=BATCH))
        try:
            yield from (dict(row) for row in result.mappings())
        finally:
            result.close()

    return Section(
        NAME,
        "Notes and files deleted since the archive this one continues",
        (
            Field("section", "string", "Where the record was: notes or files"),
            Field("id", "integer", "The deleted record's number in that section"),
            Field("deleted_at", ("string",), "When it was deleted", "date-time"),
        ),
        count,
        records,
    )
