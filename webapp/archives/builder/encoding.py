"""Records to bytes: JSON arrays written as a stream and spreadsheet-safe CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import IO, Any, TypeVar

import orjson

from webapp.archives.builder.spec import Record

FLUSH_AT = 256 * 1024
T = TypeVar("T")
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@contextmanager
def closing_source(iterable: Iterable[T]) -> Iterator[Iterator[T]]:
    """Close a generator source on any exit, so a database cursor or COPY ends now, not at GC."""
    source = iter(iterable)
    try:
        yield source
    finally:
        if isinstance(source, Generator):
            source.close()


def json_array(records: Iterable[Record], seen: Callable[[Record], None]) -> Iterator[bytes]:
    """Yield a JSON array of the records in large chunks, telling `seen` of each one."""
    buffer = bytearray(b"[")
    separator = b"\n"
    with closing_source(records) as source:
        for record in source:
            buffer += separator
            buffer += orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS)
            separator = b",\n"
            seen(record)
            if len(buffer) >= FLUSH_AT:
                yield bytes(buffer)
                buffer.clear()
    buffer += b"\n]\n"
    yield bytes(buffer)


def coalesce(blocks: Iterable[bytes], size: int = FLUSH_AT) -> Iterator[bytes]:
    """Join small blocks (COPY sends one a row) into large ones, cutting only between blocks."""
    buffer = bytearray()
    with closing_source(blocks) as source:
        for block in source:
            buffer += block
            if len(buffer) >= size:
                yield bytes(buffer)
                buffer.clear()
    if buffer:
        yield bytes(buffer)


def json_array_from_lines(lines: Iterable[bytes], seen: Callable[[int], None]) -> Iterator[bytes]:
    """Turn blocks of whole lines, one JSON object each, into a JSON array, as a stream."""
    yield b"["
    separator = b"\n"
    with closing_source(coalesce(lines)) as blocks:
        for block in blocks:
            seen(block.count(b"\n"))
            yield separator + block[:-1].replace(b"\n", b",\n")
            separator = b",\n"
    yield b"\n]\n"


def csv_cell(value: Any) -> str:
    """Render one value for CSV, neutralising anything a spreadsheet would evaluate."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class CsvSpool:
    """Collects CSV rows in a temporary file while the JSON pass runs."""

    def __init__(self, columns: tuple[str, ...], spool: IO[bytes]) -> None:
        """Start the CSV with its header row."""
        self._spool = spool
        self._text = io.TextIOWrapper(spool, encoding="utf-8", newline="", write_through=False)
        self._columns = columns
        self._writer = csv.writer(self._text)
        self._writer.writerow(columns)

    def add(self, record: Record) -> None:
        """Append one record as a CSV row."""
        self._writer.writerow([csv_cell(record.get(column)) for column in self._columns])

    def chunks(self, size: int = 1024 * 1024) -> Iterator[bytes]:
        """Yield the finished CSV from the start of the spool."""
        self._text.flush()
        self._spool.seek(0)
        while chunk := self._spool.read(size):
            yield chunk
