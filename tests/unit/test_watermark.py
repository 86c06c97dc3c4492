"""The watermark's SQL: built only from tokens the database itself wrote, per dialect."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from webapp.archives.watermark import WatermarkMismatch, newer_than, written_after


def test_a_postgresql_snapshot_becomes_a_visibility_test_on_xmin() -> None:
    condition = newer_than("pg:10:20:12,15", "notes", "postgresql")
    assert condition.startswith("NOT pg_visible_in_snapshot(")
    assert "notes.xmin" in condition and condition.endswith("'10:20:12,15')")


def test_a_sqlite_counter_becomes_a_comparison() -> None:
    assert newer_than("seq:42", "notes", "sqlite") == "notes.change_seq > 42"
    assert newer_than("seq:42", None, "sqlite") == "change_seq > 42"


@pytest.mark.parametrize(
    ("token", "dialect"),
    [
        ("seq:42", "postgresql"),  # a watermark from another kind of database
        ("pg:1:2:", "sqlite"),
        ("pg:1:2:'); DROP TABLE notes; --", "postgresql"),  # never text the database did not write
        ("seq:1 OR 1=1", "sqlite"),
    ],
)
def test_anything_else_is_refused(token: str, dialect: str) -> None:
    with pytest.raises(WatermarkMismatch):
        newer_than(token, "notes", dialect)


def test_the_condition_compiles_for_each_dialect() -> None:
    query = sa.select(sa.literal(1)).where(written_after("notes", "seq:3"))
    assert "change_seq > 3" in str(query.compile(dialect=sqlite.dialect()))
    query = sa.select(sa.literal(1)).where(written_after("notes", "pg:5:9:"))
    assert "pg_visible_in_snapshot" in str(query.compile(dialect=postgresql.dialect()))
