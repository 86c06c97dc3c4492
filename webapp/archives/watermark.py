"""Which writes a build saw: a token of its own snapshot, recorded on every archive.

A timestamp cannot be a watermark: a write stamped before the build's start may commit after
its snapshot, and would then be in no archive of the chain. So the token is the snapshot
itself. On PostgreSQL that is `pg_current_snapshot()`; a row is newer when the transaction
that wrote it (its `xmin`) is not visible in that snapshot. SQLite runs one writing
transaction at a time, and a trigger (migrations 0004_chain, 0007_increments) stamps every
written row with a counter bumped in the same transaction, so counter order is commit order;
the token is the counter as the build's snapshot saw it. An increment selects the rows newer
than its previous archive's token (`newer`).
"""

from __future__ import annotations

import re

from sqlalchemy.engine import Connection

UNMODELLED_TABLES = ("change_counter",)
POSTGRES, SQLITE = "pg:", "seq:"
_SNAPSHOT = re.compile(r"pg:(\d+):(\d+):((?:\d+(?:,\d+)*)?)")
_COUNTER = re.compile(r"seq:(\d+)")
_EPOCH = 1 << 32


def take(conn: Connection) -> str:
    """Read the token inside the build's own transaction: exactly what the build sees."""
    if conn.dialect.name == "postgresql":
        return POSTGRES + str(conn.exec_driver_sql("SELECT pg_current_snapshot()::text").scalar())
    return SQLITE + str(conn.exec_driver_sql("SELECT seq FROM change_counter").scalar())


def comparable(previous: str, current: str) -> bool:
    """Tell whether two tokens come from the same kind of database, so one can follow the other."""
    return previous.split(":", 1)[0] == current.split(":", 1)[0]


def newer(previous: str, current: str) -> str:
    """SQL matching a table's rows written after `previous`, as seen from the `current` snapshot."""
    # The tokens are parsed into integers before they reach the SQL, so nothing can inject.
    # pg_snapshot lists top-level transactions only, so a row written in a subtransaction
    # (SAVEPOINT) could be taken as seen: Keepsake writes these tables without savepoints.
    counter = _COUNTER.fullmatch(previous)
    if counter is not None and _COUNTER.fullmatch(current):
        return f"change_seq > {int(counter.group(1))}"
    snapshot, now = _SNAPSHOT.fullmatch(previous), _SNAPSHOT.fullmatch(current)
    if snapshot is None or now is None:
        raise ValueError(f"watermarks {previous!r} and {current!r} cannot be compared")
    xip = ",".join(str(int(xid)) for xid in filter(None, snapshot.group(3).split(",")))
    before = f"{int(snapshot.group(1))}:{int(snapshot.group(2))}:{xip}"
    return f"NOT pg_visible_in_snapshot({_full_xmin(int(now.group(2)))}, '{before}'::pg_snapshot)"


def _full_xmin(current_xmax: int) -> str:
    """The row's 32-bit `xmin` widened to the 64-bit id the snapshot functions compare."""
    # A row the current snapshot sees was written before its xmax: an xmin below xmax's low
    # 32 bits is in xmax's epoch, one at or above them in the epoch before. A row frozen more
    # than an epoch ago may be placed too late and sent again, which an increment tolerates
    # (records are applied by id); none can be placed too early and missed.
    epoch, low = current_xmax - current_xmax % _EPOCH, current_xmax % _EPOCH
    earlier = max(epoch - _EPOCH, 0)
    raw = "xmin::text::bigint"
    return f"({raw} + CASE WHEN {raw} < {low} THEN {epoch} ELSE {earlier} END)::text::xid8"
