"""PostgreSQL COPY statements that format a section's JSON lines and CSV inside the server."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.engine import Connection

from webapp.archives.builder.spec import Bulk

# CSV format with control characters as quote and delimiter passes JSON text through verbatim:
# row_to_json never emits them raw, so nothing is quoted or escaped.
JSON_LINES = (
    "COPY (SELECT row_to_json(r) FROM ({query}) r) TO STDOUT "
    "WITH (FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01')"
)
CSV = "COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true)"
# The same cells csv_cell() neutralises: a spreadsheet would run them as formulas.
NEUTRAL = (
    "CASE WHEN left({c}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r') "
    "THEN '''' || {c} ELSE {c} END AS {c}"
)
TIME = "to_json({c}) #>> '{{}}' AS {c}"


def _copy(conn: Connection, statement: str) -> Iterator[bytes]:
    """Yield the blocks of a COPY TO STDOUT on the build's own connection."""
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(statement) as copy:
            for block in copy:
                yield bytes(block)
    finally:
        cursor.close()


def copy_bulk(table: str, columns: tuple[tuple[str, str], ...]) -> Bulk:
    """Describe a user's rows of `table` as COPY output; kinds are 'int', 'text' or 'time'."""

    def query(user_id: int, csv: bool) -> str:
        """Build the SELECT for one user, with CSV cells neutralised when asked."""
        exprs = [
            (NEUTRAL if kind == "text" else TIME if kind == "time" else "{c}").format(c=name)
            if csv
            else name
            for name, kind in columns
        ]
        return f"SELECT {', '.join(exprs)} FROM {table} WHERE user_id = {int(user_id)} ORDER BY id"

    return Bulk(
        available=lambda conn: conn.dialect.name == "postgresql",
        json_lines=lambda conn, user_id: _copy(
            conn, JSON_LINES.format(query=query(user_id, False))
        ),
        csv=lambda conn, user_id: _copy(conn, CSV.format(query=query(user_id, True))),
    )
