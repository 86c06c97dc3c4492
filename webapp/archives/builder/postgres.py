"""PostgreSQL COPY text of a section's rows: the cheapest output the server has (bench/)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy.engine import Connection

from webapp.archives.builder.spec import Bulk

# Timestamps in COPY text as copytext.py expects them: ISO style, in UTC.
SETTINGS = "SET LOCAL TIME ZONE 'UTC'; SET LOCAL DateStyle TO 'ISO'"


def _copy(conn: Connection, statement: str) -> Iterator[bytes]:
    """Yield the blocks of a COPY TO STDOUT on the build's own connection."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(SETTINGS)
        with cursor.copy(statement) as copy:
            for block in copy:
                yield bytes(block)
    finally:
        cursor.close()


def created_between(since: datetime | None, until: datetime | None) -> str:
    """SQL for created_at in [since, until); COPY takes no bound parameters."""
    # Only a datetime's own ISO text reaches the SQL, so nothing can be injected through it.
    bounds = [f"created_at >= '{since.isoformat()}'::timestamptz"] if since else []
    bounds += [f"created_at < '{until.isoformat()}'::timestamptz"] if until else []
    return "".join(f" AND {bound}" for bound in bounds)


def copy_bulk(
    table: str,
    columns: tuple[str, ...],
    since: datetime | None = None,
    until: datetime | None = None,
    newer: str | None = None,
) -> Bulk:
    """Describe a user's rows of `table` in [since, until) and `newer` (SQL) as COPY text."""
    narrower = created_between(since, until) + (f" AND {newer}" if newer else "")

    def rows(conn: Connection, user_id: int) -> Iterator[bytes]:
        """COPY one user's rows in range, oldest first."""
        where = f"WHERE user_id = {int(user_id)}{narrower} ORDER BY id"
        return _copy(conn, f"COPY (SELECT {', '.join(columns)} FROM {table} {where}) TO STDOUT")

    return Bulk(available=lambda conn: conn.dialect.name == "postgresql", rows=rows)
