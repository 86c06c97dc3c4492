"""JSON streams parse back exactly; CSV cells never become spreadsheet formulas."""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import UTC, datetime

import orjson
import pytest

from webapp.archives.builder.encoding import CsvSpool, csv_cell, json_array


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralised(cell: str) -> None:
    assert csv_cell(cell) == "'" + cell


@pytest.mark.parametrize(
    ("value", "text"), [(None, ""), (True, "true"), (3, "3"), ("plain", "plain")]
)
def test_plain_values(value: object, text: str) -> None:
    assert csv_cell(value) == text


def test_json_array_streams_every_record_exactly() -> None:
    records = [
        {"id": i, "text": f"</script> ☃ {i}", "at": datetime(2026, 1, 1, tzinfo=UTC)}
        for i in range(5000)
    ]
    seen: list[object] = []
    chunks = list(json_array(iter(records), seen.append))
    assert len(chunks) > 1  # written in pieces, not one buffer
    parsed = orjson.loads(b"".join(chunks))
    assert [r["text"] for r in parsed] == [r["text"] for r in records]
    assert parsed[0]["at"] == "2026-01-01T00:00:00+00:00"
    assert len(seen) == 5000


def test_empty_json_array() -> None:
    assert orjson.loads(b"".join(json_array([], lambda _: None))) == []


def test_csv_spool_round_trips_through_a_csv_reader() -> None:
    with tempfile.TemporaryFile() as raw:
        spool = CsvSpool(("id", "title"), raw)
        spool.add({"id": 1, "title": 'comma, "quote"\nnewline'})
        spool.add({"id": 2, "title": "=cmd"})
        rows = list(csv.reader(io.StringIO(b"".join(spool.chunks()).decode())))
    assert rows == [["id", "title"], ["1", 'comma, "quote"\nnewline'], ["2", "'=cmd"]]
