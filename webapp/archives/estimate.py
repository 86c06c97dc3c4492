"""How many items and bytes a selection would export, from indexed counts and sums only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from webapp.archives.contents import in_range
from webapp.archives.selection import Selection
from webapp.auth.models import ActivityEvent
from webapp.notes.models import Attachment, Note

# Bytes an archive adds beyond its records' own text, measured on built archives
# (tests/integration/test_selection.py holds the estimate to 10 % of the real size).
FIXED = 5_800  # README.txt, index.html's frame, manifest head, the profile
SECTION_FIXED = 1_900  # a section's schema, headers, manifest lines and index.html table
ROW = {"notes": 207, "files": 560, "activity": 230}  # JSON + CSV + manifest beyond the text
JSON_ROW = {"notes": 130, "files": 230, "activity": 125}  # its JSON alone: the preview's budget
PREVIEW_ROW = {"notes": 195, "files": 390, "activity": 133}  # index.html beyond the text


@dataclass(frozen=True)
class Estimate:
    """What an archive would hold: items (as its progress counts them) and uncompressed bytes."""

    items: int
    bytes: int

    def to_json(self) -> dict[str, int]:
        """Answer GET /api/archives/estimate."""
        return {"items": self.items, "bytes": self.bytes}


@dataclass(frozen=True)
class _Totals:
    """A section's records in range, the bytes of their text, and file bytes copied whole."""

    records: int
    text: int
    file_bytes: int = 0


def _sums(model: Any, user_id: int, span: Selection, text: Any) -> sa.Subquery:
    """Count rows and sum a column over the (user_id, created_at, ...) covering index."""
    query = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(text), 0))
    return query.where(in_range(model, user_id, span)).subquery()


def _notes(user_id: int, span: Selection) -> sa.Subquery:
    """Notes: their title and body bytes are kept by the database in notes.text_bytes."""
    return _sums(Note, user_id, span, Note.text_bytes)


def _files(user_id: int, span: Selection) -> sa.Subquery:
    """Files: each is a record and a member copied byte for byte (its size is file bytes)."""
    return _sums(Attachment, user_id, span, Attachment.size)


def _activity(user_id: int, span: Selection) -> sa.Subquery:
    """Activity: a few short rows per login or export, so summing their text stays cheap."""
    text = sum(
        sa.func.coalesce(sa.func.length(column), 0)
        for column in (
            ActivityEvent.kind,
            ActivityEvent.ip,
            ActivityEvent.user_agent,
            ActivityEvent.detail,
        )
    )
    return _sums(ActivityEvent, user_id, span, text)


SUMS: dict[str, Callable[[int, Selection], sa.Subquery]] = {
    "notes": _notes,
    "files": _files,
    "activity": _activity,
}


def _totals(conn: Connection, user_id: int, selection: Selection) -> dict[str, _Totals]:
    """Every chosen section's totals, in one round trip: one single-row subquery each."""
    names = [name for name in selection.ordered_sections if name in SUMS]
    if not names:
        return {}
    sums = [SUMS[name](user_id, selection) for name in names]
    joined: sa.FromClause = sums[0]
    for other in sums[1:]:
        joined = joined.join(other, sa.true())  # one row each: the product is one row
    row = conn.execute(sa.select(*(c for s in sums for c in s.c)).select_from(joined)).one()
    totals = {}
    for index, name in enumerate(names):
        records, summed = int(row[2 * index]), int(row[2 * index + 1])
        totals[name] = _Totals(records, 0, summed) if name == "files" else _Totals(records, summed)
    return totals


def _section_bytes(name: str, totals: _Totals, preview_bytes: int) -> int:
    """JSON and CSV each hold the text once; index.html previews up to preview_bytes of it."""
    json_bytes = totals.text + totals.records * JSON_ROW[name]
    shown = min(1.0, preview_bytes / json_bytes) if json_bytes else 0.0
    preview = shown * (totals.text + totals.records * PREVIEW_ROW[name])
    return (
        SECTION_FIXED
        + 2 * totals.text
        + totals.records * ROW[name]
        + int(preview)
        + totals.file_bytes
    )


def estimate(
    conn: Connection, user_id: int, selection: Selection, preview_bytes: int = 256 * 1024
) -> Estimate:
    """Estimate a selection's archive; the profile is one item inside FIXED."""
    items, size = 1, FIXED
    for name, totals in _totals(conn, user_id, selection).items():
        # The builder counts a file twice: its record, then its bytes.
        items += totals.records * (2 if name == "files" else 1)
        size += _section_bytes(name, totals, preview_bytes)
    return Estimate(items, size)
