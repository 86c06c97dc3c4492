"""Section rows to data files: a JSON array and a spreadsheet-safe CSV, written as streams."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from webapp.archives.builder.copytext import Layout

FLUSH_AT = 256 * 1024
T = TypeVar("T")


@contextmanager
def closing_source(iterable: Iterable[T]) -> Iterator[Iterator[T]]:
    """Close a generator source on any exit, so a database cursor or COPY ends now, not at GC."""
    source = iter(iterable)
    try:
        yield source
    finally:
        if isinstance(source, Generator):
            source.close()


def coalesce(blocks: Iterable[bytes], size: int = FLUSH_AT) -> Iterator[bytes]:
    """Join small blocks (COPY sends one a row) into large ones, cutting only between blocks."""
    buffer = bytearray()
    with closing_source(blocks) as source:
        for block in source:
            if not buffer and len(block) >= size:
                yield block  # already large (PostgreSQL's COPY sends blocks of rows)
                continue
            buffer += block
            if len(buffer) >= size:
                yield bytes(buffer)
                buffer.clear()
    if buffer:
        yield bytes(buffer)


def json_array(
    rows: Iterable[bytes],
    layout: Layout,
    csv: Callable[[bytes], object],
    seen: Callable[[bytes, int], None],
) -> Iterator[bytes]:
    """Yield the JSON array of COPY text rows, handing each block's CSV lines to `csv`.

    Both files come from one pass over the rows; `seen` gets each block of JSON objects (one
    a line) and how many rows it holds.
    """
    yield b"["
    first = True
    with closing_source(coalesce(rows)) as blocks:
        for block in blocks:
            objects, lines, count = layout.rows(block)
            csv(lines)
            seen(objects, count)
            yield objects[1:] if first else objects  # each object comes after ",\n"
            first = False
    yield b"\n]\n"
