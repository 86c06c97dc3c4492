"""Data files parse back exactly; CSV cells never become spreadsheet formulas."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import orjson
import pytest

from webapp.archives.builder.copytext import BOOL, INT, TEXT, TIME, Layout, copy_rows, neutralise
from webapp.archives.builder.encoding import json_array

LAYOUT = Layout((("id", INT), ("text", TEXT), ("at", TIME), ("flag", BOOL)), frozenset({"at"}))
# Cells a spreadsheet would run (or that hide a formula behind something invisible).
FORMULAS = [
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    "|cmd",
    "\tx",
    "\rx",
    "\nx",
    " =1+1",
    "  @x",
    "\u00a0=x",
    "＝1+1",
    "＋1",
    "－1",
    "＠x",
    "｜x",
    "\u200b=1",
    "\ufeff=1",
    "\u2060+1",
    "\u3000=1",
    "\t =1",
]
HARMLESS = ["plain", "", "a=b", " plain", "'=already", "1-2", "\u200bword", "ünï", "\\=x"]
TRICKY = ['quote " comma, ;', "line\nbreak", "back\\slash", "\\n", "\\\\v", "\x01\x0b\x0c\x08\x1f"]


def _csv_and_json(texts: list[str]) -> tuple[list[list[str]], list[dict[str, object]]]:
    """Write texts through the data-file path and read both files back."""
    when = datetime(2026, 1, 2, 3, 4, 5, 600_000, tzinfo=UTC)
    records = [{"id": i, "text": t, "at": when, "flag": i % 2 == 0} for i, t in enumerate(texts)]
    lines: list[bytes] = [LAYOUT.csv_header()]
    rows = copy_rows(records, ("id", "text", "at", "flag"))
    data = b"".join(json_array(rows, LAYOUT, lines.append, lambda _objects, _rows: None))
    table = b"".join(lines)
    return list(csv.reader(io.StringIO(table.decode()))), orjson.loads(data)


@pytest.mark.parametrize("cell", FORMULAS)
def test_formula_cells_are_neutralised_in_csv_and_kept_exact_in_json(cell: str) -> None:
    rows, records = _csv_and_json([cell])
    assert neutralise(cell) == "'" + cell
    assert rows[1][1] == "'" + cell
    assert records[0]["text"] == cell


@pytest.mark.parametrize("cell", HARMLESS + TRICKY)
def test_other_cells_are_written_as_they_are(cell: str) -> None:
    rows, records = _csv_and_json([cell])
    assert neutralise(cell) == cell
    assert rows[1][1] == cell
    assert records[0]["text"] == cell


def test_json_is_what_orjson_writes_and_times_have_one_spelling() -> None:
    texts = TRICKY + FORMULAS
    rows, records = _csv_and_json(texts)
    assert [r["text"] for r in records] == texts
    assert records[0]["at"] == "2026-01-02T03:04:05.6+00:00" == rows[1][2]
    assert [r["flag"] for r in records[:2]] == [True, False] and rows[1][3] == "true"
    one = [{"id": 7, "text": TRICKY[-1], "at": None, "flag": False}]
    rows = copy_rows(one, ("id", "text", "at", "flag"))
    data = b"".join(json_array(rows, LAYOUT, lambda _: None, lambda *_: None))
    assert data == b"[\n" + orjson.dumps(one[0]) + b"\n]\n"


def test_many_rows_stream_in_pieces_and_count_every_row() -> None:
    counted: list[int] = []
    records = [
        {"id": i, "text": f"</script> ☃ {i}", "at": None, "flag": True} for i in range(20_000)
    ]
    table: list[bytes] = [LAYOUT.csv_header()]
    rows = copy_rows(records, ("id", "text", "at", "flag"))
    chunks = list(json_array(rows, LAYOUT, table.append, lambda _o, n: counted.append(n)))
    assert len(chunks) > 3 and len(table) > 2  # written in pieces, not one buffer
    assert [r["text"] for r in orjson.loads(b"".join(chunks))] == [r["text"] for r in records]
    assert sum(counted) == 20_000
    assert len(list(csv.reader(io.StringIO(b"".join(table).decode())))) == 20_001


def test_empty_section_is_an_empty_array_and_a_header() -> None:
    lines: list[bytes] = []
    assert orjson.loads(b"".join(json_array([], LAYOUT, lines.append, lambda *_: None))) == []
    assert lines == [] and LAYOUT.csv_header() == b"id,text,at,flag\n"
