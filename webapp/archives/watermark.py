"""Which writes a build saw: a token of its own snapshot, and the SQL that finds later ones.

A timestamp cannot be a watermark: a write stamped before the build's start may commit after
its snapshot, and would then be in no archive of the chain. So the token is the snapshot
itself. On PostgreSQL that is `pg_current_snapshot()`; a row is newer when the transaction
that wrote it (its `xmin`) is not visible in that snapshot. SQLite runs one writing
transaction at a time, and a trigger (migration 0004_chain) stamps every written row with a
counter bumped in the same transaction, so counter order is commit order; the token is the
counter as the build's snapshot saw it.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

UNMODELLED_TABLES = ("change_counter",)
POSTGRES, SQLITE = "pg:", "seq:"
_SNAPSHOT = re.compile(r"\d+:\d+:(\d+(,\d+)*)?")
# The 64-bit id of the transaction that wrote a row, from its 32-bit xmin and the epoch of
# the current snapshot (a row's xmin is always within 2^31 transactions of it until frozen).
_FULL_XID = (
    "(((pg_snapshot_xmax(pg_current_snapshot())::text::bigint >> 32) << 32)"
    " + {t}.xmin::text::bigint"
    " - CASE WHEN {t}.xmin::text::bigint"
    " > (pg_snapshot_xmax(pg_current_snapshot())::text::bigint & 4294967295)"
    " THEN 4294967296 ELSE 0 END)::text::xid8"
)


class WatermarkMismatch(ValueError):
    """The previous archive's watermark comes from another kind of database."""


def take(conn: Connection) -> str:
    """Read the token inside the build's own transaction: exactly what the build sees."""
    if conn.dialect.name == "postgresql":
        return POSTGRES + str(conn.exec_driver_sql("SELECT pg_current_snapshot()::text").scalar())
    return SQLITE + str(conn.exec_driver_sql("SELECT seq FROM change_counter").scalar())


def newer_than(token: str, table: str | None, dialect: str) -> str:
    """An SQL condition on `table`'s rows (unqualified when None): written after `token`."""
    if dialect == "postgresql" and token.startswith(POSTGRES):
        snapshot = token.removeprefix(POSTGRES)
        if _SNAPSHOT.fullmatch(snapshot):
            xid = _FULL_XID.replace("{t}.", f"{table}." if table else "")
            return f"NOT pg_visible_in_snapshot({xid}, '{snapshot}')"
    if dialect == "sqlite" and token.startswith(SQLITE):
        seq = token.removeprefix(SQLITE)
        if seq.isdigit():
            return f"{table + '.' if table else ''}change_seq > {int(seq)}"
    raise WatermarkMismatch(f"watermark {token[:12]!r} does not apply to {dialect}")


class written_after(FunctionElement[bool]):  # noqa: N801  (used like a SQL function)
    """True for rows of `table` that the build which took `token` did not see."""

    type = sa.Boolean()
    inherit_cache = False  # the token is part of the SQL text, so no statement cache

    def __init__(self, table: str, token: str) -> None:
        """Remember the table and the token; the dialect decides the spelling."""
        self.table, self.token = table, token
        super().__init__()


@compiles(written_after)
def _written_after(element: written_after, compiler: Any, **kw: Any) -> str:
    """Spell the condition for the database the statement runs on."""
    return newer_than(element.token, element.table, compiler.dialect.name)
