"""Which writes a build saw: a token of its own snapshot, recorded on every archive.

A timestamp cannot be a watermark: a write stamped before the build's start may commit after
its snapshot, and would then be in no archive of the chain. So the token is the snapshot
itself. On PostgreSQL that is `pg_current_snapshot()`; a row is newer when the transaction
that wrote it (its `xmin`) is not visible in that snapshot. SQLite runs one writing
transaction at a time, and a trigger (migration 0004_chain) stamps every written row with a
counter bumped in the same transaction, so counter order is commit order; the token is the
counter as the build's snapshot saw it. (Increments, which will select the rows newer than
a previous archive's token, are not built yet.)
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

UNMODELLED_TABLES = ("change_counter",)
POSTGRES, SQLITE = "pg:", "seq:"


def take(conn: Connection) -> str:
    """Read the token inside the build's own transaction: exactly what the build sees."""
    if conn.dialect.name == "postgresql":
        return POSTGRES + str(conn.exec_driver_sql("SELECT pg_current_snapshot()::text").scalar())
    return SQLITE + str(conn.exec_driver_sql("SELECT seq FROM change_counter").scalar())
