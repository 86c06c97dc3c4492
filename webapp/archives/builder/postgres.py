"""PostgreSQL COPY text of a section's rows: the cheapest output the server has (bench/)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select
from sqlalchemy.engine import Connection

from webapp.archives.builder.spec import Bulk

if TYPE_CHECKING:
    import psycopg
    from psycopg.abc import PQGen
    from psycopg.pq.abc import PGconn

# Timestamps in COPY text as copytext.py expects them: ISO style, in UTC.
SETTINGS = "SET LOCAL TIME ZONE 'UTC'; SET LOCAL DateStyle TO 'ISO'"
# Bytes of rows gathered before the connection's wait loop returns them as one block.
BLOCK = 256 * 1024


def _copy(conn: Connection, statement: str) -> Iterator[bytes]:
    """Yield the rows of a COPY TO STDOUT on the build's own connection, in blocks of rows."""
    connection: psycopg.Connection[Any] = conn.connection.driver_connection  # type: ignore[assignment]
    cursor = connection.cursor()
    try:
        cursor.execute(SETTINGS)
        with cursor.copy(statement):
            ended = False
            while not ended:
                block, ended = connection.wait(_block(connection.pgconn))
                if block:
                    yield block
    finally:
        cursor.close()


def _block(pgconn: PGconn) -> PQGen[tuple[bytes, bool]]:
    """Read rows up to BLOCK bytes, and whether the COPY ended, in one wait of the connection.

    COPY sends a message a row, and iterating psycopg's Copy costs a wait loop a row (0.9 s
    of client CPU per 1M rows, 0.6 s more than this); psycopg's own copy_from still reads each
    row and ends the COPY, raising its errors.
    """
    # Imported here, when a COPY runs: importing psycopg with the builder, before the app and
    # its engine, raised the worker's peak RSS by 9 MiB (115 to 124 MiB before a build).
    from psycopg.generators import copy_from

    block = bytearray()
    while len(block) < BLOCK:
        row = yield from copy_from(pgconn)
        if not isinstance(row, memoryview):
            return bytes(block), True
        block += row
    return bytes(block), False


def copy_bulk(query: Callable[[int], Select[Any]]) -> Bulk:
    """Describe the rows `query` selects for a user (its columns, in order) as COPY text."""

    def rows(conn: Connection, user_id: int) -> Iterator[bytes]:
        """COPY the rows the section's own query selects; COPY takes no bound parameters."""
        literal = query(user_id).compile(
            dialect=conn.dialect, compile_kwargs={"literal_binds": True}
        )
        return _copy(conn, f"COPY ({literal}) TO STDOUT")

    return Bulk(available=lambda conn: conn.dialect.name == "postgresql", rows=rows)
