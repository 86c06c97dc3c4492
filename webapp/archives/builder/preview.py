"""The first records of a section for index.html, bounded by bytes whatever users write."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

CELL_CHARS = 2000


@dataclass
class Preview:
    """Records kept for the offline page until `budget` bytes of JSON have been looked at."""

    budget: int
    records: list[dict[str, Any]] = field(default_factory=list)
    seen: int = 0
    shortened: bool = False

    @property
    def full(self) -> bool:
        """Whether the page has all it will show of this section."""
        return self.seen >= self.budget

    def add_json_rows(self, rows: bytes) -> None:
        """Keep records from a block of JSON objects, each line one object, while room is left."""
        start = 0
        while not self.full and start < len(rows):
            end = rows.find(b"\n", start + 1)
            end = len(rows) if end < 0 else end
            line = rows[start:end].strip(b",\n")
            start = end
            if line:
                record = self._short(orjson.loads(line))
                self.seen += len(orjson.dumps(record))
                self.records.append(record)

    def _short(self, record: dict[str, Any]) -> dict[str, Any]:
        """Cut long text values, and remember that the page must say so."""
        for key, value in record.items():
            if isinstance(value, str) and len(value) > CELL_CHARS:
                record[key] = value[:CELL_CHARS] + "…"
                self.shortened = True
        return record
