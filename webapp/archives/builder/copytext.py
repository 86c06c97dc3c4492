"""PostgreSQL's COPY text rows turned into JSON lines and spreadsheet-safe CSV, a block at a time.

Every path writes data files through here: PostgreSQL sends COPY text (its cheapest output),
and the portable path encodes records into the same text first, so timestamps, numbers,
escaping and CSV neutralisation are the same bytes on every database. The work is done with
whole-block byte operations (replace, split, join) that run in C, never a Python step per cell:
in COPY text a raw tab only separates fields and a raw line feed only ends a row.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# Kinds of column: how a COPY text value is spelt in JSON and CSV.
INT, TEXT, TIME, BOOL = "int", "text", "time", "bool"
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_COPY_ESCAPE = str.maketrans(_ESCAPES | {"\v": "\\v"})
# COPY never sends NUL (PostgreSQL text cannot hold it), so it can stand in for "\\" for a while.
_HOLD = b"\x00"
# In this order, after every "\\\\" became _HOLD: each escape, then _HOLD back to a backslash.
_UNESCAPES = (
    *((escaped.encode(), raw.encode()) for raw, escaped in _ESCAPES.items() if raw != "\\"),
    (b"\\v", b"\v"),
    (_HOLD, b"\\"),
)
# Control characters that COPY sends raw but JSON must escape, and the one escape JSON lacks.
_RAW_CONTROLS = bytes([*range(0x01, 0x08), *range(0x0E, 0x20)])
# Escapes other than the common line feed: when there are none, one replace unescapes a block.
_RARE_ESCAPE = re.compile(rb"\\[^n]")
# Two-byte patterns: a compiled regex finds them several times faster than bytes.replace.
_ESCAPED_LF = re.compile(rb"\\n")
_CSV_NULL = re.compile(rb'"\\N"')
# What may precede a formula and still let a spreadsheet run it: spaces (plain, no-break,
# ideographic) and invisible characters (zero-width space/joiners, word joiner, BOM).
_LEAD = rb"(?:\\[tnr]| |\xc2\xa0|\xe3\x80\x80|\xe2\x80[\x8b-\x8f]|\xe2\x81\xa0|\xef\xbb\xbf)"
# Formula starts, ASCII and full-width: = + - @ | and U+FF1D U+FF0B U+FF0D U+FF20 U+FF5C.
_FORMULA = rb"(?:[=+\-@|]|\xef\xbc[\x9d\x8b\x8d\xa0]|\xef\xbd\x9c)"
# The start of a cell (in COPY text) that a spreadsheet would run: a tab, carriage return or
# line feed (escaped in COPY text), or a formula after nothing but spaces and invisibles.
_DANGER = re.compile(rb"\\[tnr]|" + _LEAD + rb"*" + _FORMULA)
# The first bytes of every cell that _DANGER can match: only those cells are looked at closely.
_SUSPECT = re.compile(rb"[\\ =+\-@|\xc2\xe2\xe3\xef]")


def neutralise(text: str) -> str:
    """Prefix a cell a spreadsheet would run with an apostrophe (the rule the CSV files use)."""
    return "'" + text if _DANGER.match(text.translate(_COPY_ESCAPE).encode()) else text


@dataclass(frozen=True)
class Layout:
    """The columns of a data file, in order, as (name, kind) pairs."""

    columns: tuple[tuple[str, str], ...]
    nullable: frozenset[str] = frozenset()

    @property
    def nullable_text(self) -> bool:
        """Whether any text column may be null (only then is there a null to look for)."""
        return any(kind == TEXT and name in self.nullable for name, kind in self.columns)

    def csv_header(self) -> bytes:
        """The CSV file's first line."""
        return ",".join(name for name, _ in self.columns).encode() + b"\n"

    def rows(self, block: bytes) -> tuple[bytes, bytes, int]:
        """Turn whole COPY text rows into JSON objects (each after ',\\n') and CSV lines.

        One split serves both files: quotes are held as NUL (COPY never sends one) until each
        file spells them its own way.
        """
        width = len(self.columns)
        fields = block.replace(b'"', _HOLD).replace(b"\n", b"\t").split(b"\t")[:-1]
        rows = len(fields) // width
        if rows * width != len(fields):
            raise ValueError("COPY rows do not match the section's columns")
        json_columns = [fields[index::width] for index in range(width)]
        csv_columns = json_columns.copy()
        for index, (_, kind) in enumerate(self.columns):
            column = json_columns[index]
            if kind == TEXT:
                csv_columns[index] = _neutralised(column)
            elif column:
                joined = b"\n".join(column) + b"\n"
                json_columns[index] = _json_value(kind, joined).split(b"\n")[:-1]
                csv_columns[index] = _csv_value(kind, joined).split(b"\n")[:-1]
        # One search of the rows tells both files whether any escape but a line feed is there.
        rare = _RARE_ESCAPE.search(block) is not None
        json_out = self._json_escaped(_weave(self._json_separators(), json_columns), rare)
        csv_out = self._csv_unescaped(_weave(self._csv_separators(), csv_columns), rare)
        return json_out, csv_out, rows

    def _json_escaped(self, out: bytes, rare: bool) -> bytes:
        """Spell held quotes, vertical tabs and raw control characters as JSON escapes."""
        out = out.replace(_HOLD, b'\\"')
        if rare:
            out = out.replace(b"\\\\", _HOLD).replace(b"\\v", b"\\u000b")
            out = out.replace(_HOLD, b"\\\\")
        if len(out.translate(None, _RAW_CONTROLS)) != len(out):
            out = re.sub(b"[%s]" % _RAW_CONTROLS, lambda m: b"\\u%04x" % m.group()[0], out)
        for name, kind in self.columns:
            if kind in (TEXT, TIME) and name in self.nullable:
                null = re.compile(b'"%s":"\\\\N"' % re.escape(name.encode()))
                out = null.sub(b'"%s":null' % name.encode(), out)
        return out

    def _csv_unescaped(self, out: bytes, rare: bool) -> bytes:
        """Double held quotes, empty null text cells, and turn COPY escapes back into bytes."""
        out = out.replace(_HOLD, b'""')
        if self.nullable_text:
            out = _CSV_NULL.sub(b"", out)
        if rare:
            out = out.replace(b"\\\\", _HOLD)
            for escaped, raw in _UNESCAPES:
                out = out.replace(escaped, raw)
            return out
        return _ESCAPED_LF.sub(b"\n", out)

    def _json_separators(self) -> list[bytes]:
        """What goes between values in a JSON object: keys, quotes and braces."""
        out, close = [], b""
        for index, (name, kind) in enumerate(self.columns):
            start = b',\n{"' if index == 0 else close + b',"'
            out.append(start + name.encode() + b'":' + (b'"' if kind in (TEXT, TIME) else b""))
            close = b'"' if kind in (TEXT, TIME) else b""
        return [*out, close + b"}"]

    def _csv_separators(self) -> list[bytes]:
        """What goes between values in a CSV line: commas, and quotes around text."""
        out, close = [], b""
        for index, (_, kind) in enumerate(self.columns):
            out.append(close + (b"," if index else b"") + (b'"' if kind == TEXT else b""))
            close = b'"' if kind == TEXT else b""
        return [*out, close + b"\n"]


def _weave(separators: list[bytes], columns: list[list[bytes]]) -> bytes:
    """Join the columns row by row with the separators between values."""
    parts: list[Iterable[bytes]] = []
    for separator, column in zip(separators, columns, strict=False):
        parts += [itertools.repeat(separator), column]
    parts.append(itertools.repeat(separators[-1]))
    return b"".join(itertools.chain.from_iterable(zip(*parts, strict=False)))


def _json_value(kind: str, joined: bytes) -> bytes:
    """Respell a column of non-text values (one a line) as JSON wants them."""
    if kind == TIME:
        return _iso(joined)
    if kind == BOOL:
        joined = joined.replace(b"t\n", b"true\n").replace(b"f\n", b"false\n")
    return joined.replace(b"\\N\n", b"null\n")


def _csv_value(kind: str, joined: bytes) -> bytes:
    """Respell a column of non-text values as CSV cells: the same spelling, nulls empty."""
    if kind == TIME:
        joined = _iso(joined)
    elif kind == BOOL:
        joined = joined.replace(b"t\n", b"true\n").replace(b"f\n", b"false\n")
    return joined.replace(b"\\N\n", b"\n")


def _iso(joined: bytes) -> bytes:
    """'2026-01-02 03:04:05.6+00' (COPY in UTC, DateStyle ISO) to '2026-01-02T03:04:05.6+00:00'."""
    return joined.replace(b" ", b"T").replace(b"+00\n", b"+00:00\n")


def _neutralised(column: list[bytes]) -> list[bytes]:
    """Prefix an apostrophe to the cells a spreadsheet would run, looking closely only at few.

    The column is shared with the JSON file, so it is copied before the first change.
    """
    firsts = b"".join([cell[:1] or b"_" for cell in column])
    changed = column
    for found in _SUSPECT.finditer(firsts):
        index = found.start()
        if _DANGER.match(column[index]):
            changed = column.copy() if changed is column else changed
            changed[index] = b"'" + column[index]
    return changed


def copy_value(value: Any) -> str:
    """Spell one Python value as PostgreSQL's COPY text would, for the portable path."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        text = value.astimezone(UTC).isoformat(sep=" ", timespec="microseconds")[:-6]
        return text.rstrip("0").rstrip(".") + "+00"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPE)
    return str(value)


def copy_rows(records: Iterable[Any], names: tuple[str, ...]) -> Iterator[bytes]:
    """Encode records as COPY text rows, one block a row, in the layout's column order."""
    for record in records:
        yield ("\t".join(copy_value(record[name]) for name in names) + "\n").encode()
