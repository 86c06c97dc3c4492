"""PostgreSQL COPY text of a section's rows: the cheapest output the server has (bench/)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Select
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


def copy_bulk(query: Callable[[int], Select[Any]]) -> Bulk:
    """Describe the rows `query` selects for a user (its columns, in order) as COPY text."""

    def rows(conn: Connection, user_id: int) -> Iterator[bytes]:
        """COPY the rows the section's own query selects; COPY takes no bound parameters."""
        literal = query(user_id).compile(
            dialect=conn.dialect, compile_kwargs={"literal_binds": True}
        )
        return _copy(conn, f"COPY ({literal}) TO STDOUT")

    return Bulk(available=lambda conn: conn.dialect.name == "postgresql", rows=rows)
