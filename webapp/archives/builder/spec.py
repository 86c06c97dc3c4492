"""What a section is: a name, its fields, and functions that yield its data."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.engine import Connection

from webapp.archives.builder.copytext import BOOL, INT, TEXT, TIME, Layout

Record = Mapping[str, Any]
_KINDS = {"integer": INT, "boolean": BOOL}


@dataclass(frozen=True)
class Field:
    """One column of a section: its JSON type and what it means."""

    name: str
    json_type: str | tuple[str, ...]
    description: str
    json_format: str | None = None


class Readable(Protocol):
    """A stored file's bytes, read into the builder's own buffers."""

    def readinto(self, buffer: memoryview, /) -> int:
        """Fill up to len(buffer) bytes; 0 at the end."""
        ...


@dataclass(frozen=True)
class FileRef:
    """A stored file to copy byte for byte into the archive."""

    member_name: str
    open: Callable[[], AbstractContextManager[Readable]]  # FileNotFoundError when missing
    size: int
    sha256: str
    compress: bool
    crc32: int | None = None  # recorded at upload: a stored member then needs no pre-pass
    prefetch: Callable[[], None] | None = None  # asks for its first bytes ahead of open


@dataclass(frozen=True)
class Bulk:
    """A section's rows as PostgreSQL's COPY text, in field order: far cheaper than records."""

    available: Callable[[Connection], bool]
    rows: Callable[[Connection, int], Iterable[bytes]]


@dataclass(frozen=True)
class Section:
    """A named part of the archive; the builder knows nothing else about it."""

    name: str
    description: str
    fields: tuple[Field, ...]
    count: Callable[[Connection, int], int]
    records: Callable[[Connection, int], Iterable[Record]]
    files: Callable[[Connection, int], Iterable[FileRef]] | None = None
    bulk: Bulk | None = None

    def layout(self) -> Layout:
        """How each field is spelt in the data files, told by its JSON type."""
        columns, nullable = [], set()
        for field in self.fields:
            types = (field.json_type,) if isinstance(field.json_type, str) else field.json_type
            kind = TIME if field.json_format == "date-time" else _KINDS.get(types[0], TEXT)
            columns.append((field.name, kind))
            if "null" in types:
                nullable.add(field.name)
        return Layout(tuple(columns), frozenset(nullable))

    def json_schema(self) -> dict[str, Any]:
        """Describe the section's data file as a JSON Schema (draft 2020-12)."""
        properties: dict[str, Any] = {}
        for field in self.fields:
            spec: dict[str, Any] = {"type": field.json_type, "description": field.description}
            if field.json_format:
                spec["format"] = field.json_format
            properties[field.name] = spec
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"{self.name}.json",
            "description": self.description,
            "type": "array",
            "items": {
                "type": "object",
                "properties": properties,
                "required": [field.name for field in self.fields],
                "additionalProperties": False,
            },
        }
