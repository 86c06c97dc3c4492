"""What an increment does to records an earlier link of its chain added: edits and deletions.

Both run inside the importer's transaction, so they commit with the job's success or not at
all. A deletion leaves a tombstone here too, so this account's own increments say it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from webapp.imports.lineage import Lineage
from webapp.imports.records import parse_time
from webapp.notes.models import Attachment, Note, Tombstone
from webapp.types import utcnow

BATCH = 5_000
MODELS: dict[str, Any] = {"notes": Note, "files": Attachment}


def existing(
    conn: Connection, model: Any, user_id: int, sources: Iterable[str], ids: Iterable[int]
) -> dict[int, tuple[int, str]]:
    """Map archive ids to (local id, source) for the records these sources already added."""
    query = sa.select(model.source_id, model.id, model.source_sha256).where(
        model.user_id == user_id,
        model.source_sha256.in_(tuple(sources)),
        model.source_id.in_(tuple(ids)),
    )
    return {row.source_id: (row.id, row.source_sha256) for row in conn.execute(query)}


def edit_notes(
    conn: Connection, user_id: int, lineage: Lineage, batch: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Apply the batch's notes that an earlier link added; return the ones that are new."""
    earlier = [link for link in lineage.family if link != lineage.sha256]
    found = existing(conn, Note, user_id, earlier, (record["id"] for record in batch))
    edits = [
        {
            "local_id": found[record["id"]][0],
            "new_title": record["title"],
            "new_body": record["body"],
            "new_updated_at": parse_time(record["updated_at"]),
        }
        for record in batch
        if record["id"] in found
    ]
    if edits:
        notes = Note.__table__
        statement = (
            sa.update(notes)
            .where(notes.c.id == sa.bindparam("local_id"))
            .values(
                title=sa.bindparam("new_title"),
                body=sa.bindparam("new_body"),
                updated_at=sa.bindparam("new_updated_at"),
            )
        )
        conn.execute(statement, edits)
    return [record for record in batch if record["id"] not in found]


def delete(
    conn: Connection, user_id: int, lineage: Lineage, gone: Iterator[dict[str, Any]]
) -> dict[str, int]:
    """Delete the chain's records the increment lists as deleted; count them per section."""
    counts = dict.fromkeys(MODELS, 0)
    while batch := list(islice(gone, BATCH)):
        for section in MODELS:
            ids = [record["id"] for record in batch if record["section"] == section]
            if ids:
                counts[section] += _delete(conn, section, user_id, lineage.family, ids)
    return counts


def _delete(
    conn: Connection, section: str, user_id: int, family: tuple[str, ...], ids: list[int]
) -> int:
    """Delete one section's batch and leave a tombstone for each (a file's with its bytes' key)."""
    table = MODELS[section].__table__
    keys = [table.c.storage_key] if section == "files" else []
    statement = (
        sa.delete(table)
        .where(
            table.c.user_id == user_id,
            table.c.source_sha256.in_(family),
            table.c.source_id.in_(ids),
        )
        .returning(table.c.id, *keys)
    )
    deleted = conn.execute(statement).all()
    now = utcnow()
    stones = [
        {
            "user_id": user_id,
            "section": section,
            "record_id": row.id,
            "deleted_at": now,
            "storage_key": row.storage_key if keys else None,
        }
        for row in deleted
    ]
    if stones:
        conn.execute(sa.insert(Tombstone.__table__), stones)
    return len(stones)
