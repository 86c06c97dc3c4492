"""Add a checked archive's notes and files: objects first, then every row in one transaction.

Each added row carries its source (the archive's SHA-256 and the record's id there) under a
unique index, so a repeated or retried import inserts nothing twice, and the rows commit in
the same transaction as the job's success, so a crash leaves none of them behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection

from webapp.imports import changes, storage
from webapp.imports.bundle import Bundle
from webapp.imports.lineage import Lineage
from webapp.imports.records import parse_time, stream_records
from webapp.imports.transitions import Claim, Counts
from webapp.notes.models import Attachment, Note

BATCH = 10_000
# Progress: (phase, records done, records to add).
Progress = Callable[[str, int, int], None]


@dataclass
class Plan:
    """What one attempt will add: the files it stored, and how many records it read."""

    files: list[dict[str, Any]]
    stored_keys: list[str]
    skipped_files: int = 0


def store_files(
    archive: Bundle,
    claim: Claim,
    lineage: Lineage,
    conn: Connection,
    total: int,
    progress: Progress,
) -> Plan:
    """Store each file the chain has not yet brought here, under this attempt's key."""
    source = lineage.sha256
    already = _imported_ids(conn, Attachment, claim.user_id, lineage.family)
    plan = Plan([], [])
    for done, record in enumerate(_records(archive, "files"), start=1):
        if record["id"] in already:
            plan.skipped_files += 1
            continue
        key = storage.member_key(claim.job_id, claim.attempt, record["id"])
        with archive.open(record["path"]) as member:
            storage.save_member(key, member)
        plan.stored_keys.append(key)
        plan.files.append(_attachment(record, key, claim.user_id, source))
        progress("copying files", done, total)
    return plan


def add_rows(
    conn: Connection,
    archive: Bundle,
    claim: Claim,
    lineage: Lineage,
    plan: Plan,
    total: int,
    progress: Progress,
) -> Counts:
    """Apply an increment's deletions and edits, then add new rows; committed with the job."""
    source, user_id = lineage.sha256, claim.user_id
    before = {model: _from_source(conn, model, user_id, source) for model in (Note, Attachment)}
    deleted = dict.fromkeys(changes.MODELS, 0)
    if lineage.increment:
        deleted = changes.delete(conn, user_id, lineage, _records(archive, "deleted"))
    notes_seen = changed = 0
    for batch in _batches(_records(archive, "notes")):
        new = changes.edit_notes(conn, user_id, lineage, batch) if lineage.increment else batch
        changed += len(batch) - len(new)
        _insert_new(conn, Note, [_note(record, user_id, source) for record in new])
        notes_seen += len(batch)
        progress("adding notes", notes_seen, total)
    for batch in _batches(iter(plan.files)):
        _insert_new(conn, Attachment, batch)
    notes_added = _from_source(conn, Note, user_id, source) - before[Note]
    files_added = _from_source(conn, Attachment, user_id, source) - before[Attachment]
    return Counts(
        added_notes=notes_added,
        added_files=files_added,
        skipped_notes=notes_seen - notes_added - changed,
        skipped_files=plan.skipped_files + len(plan.files) - files_added,
        changed_notes=changed,
        deleted_notes=deleted["notes"],
        deleted_files=deleted["files"],
    )


def _has(archive: Bundle, section: str) -> bool:
    """Tell whether the (checked) archive holds this section's data file."""
    return f"{section}.json" in archive.namelist()


def _records(archive: Bundle, section: str) -> Iterator[dict[str, Any]]:
    """Stream a section's records, or none when the archive left the section out."""
    return stream_records(archive, f"{section}.json") if _has(archive, section) else iter(())


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Group rows for multi-row INSERTs."""
    while batch := list(islice(rows, BATCH)):
        yield batch


def _note(record: dict[str, Any], user_id: int, source: str) -> dict[str, Any]:
    """A notes row from an archive record, keeping its text and both moments."""
    return {
        "user_id": user_id,
        "title": record["title"],
        "body": record["body"],
        "created_at": parse_time(record["created_at"]),
        "updated_at": parse_time(record["updated_at"]),
        "source_sha256": source,
        "source_id": record["id"],
    }


def _attachment(record: dict[str, Any], key: str, user_id: int, source: str) -> dict[str, Any]:
    """An attachments row for a stored file, keeping its name, type, size, hash and moment."""
    return {
        "user_id": user_id,
        "original_name": record["name"],
        "storage_key": key,
        "size": record["size"],
        "content_type": record["content_type"],
        "sha256": record["sha256"],
        "created_at": parse_time(record["created_at"]),
        "source_sha256": source,
        "source_id": record["id"],
    }


def _imported_ids(conn: Connection, model: Any, user_id: int, sources: tuple[str, ...]) -> set[int]:
    """Ids (in the archive) of records an earlier import of these archives already added."""
    query = sa.select(model.source_id).where(
        model.user_id == user_id, model.source_sha256.in_(sources)
    )
    return set(conn.scalars(query))


def _from_source(conn: Connection, model: Any, user_id: int, source: str) -> int:
    """Count the user's rows that came from this archive (the source index answers it)."""
    query = sa.select(sa.func.count()).where(
        model.user_id == user_id, model.source_sha256 == source
    )
    return int(conn.scalar(query) or 0)


def _insert_new(conn: Connection, model: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on the source index: rows already there are skipped."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _copy_new(conn, model.__tablename__, rows)
    else:
        conn.execute(sqlite.insert(model.__table__).on_conflict_do_nothing(), rows)


def _copy_new(conn: Connection, table: str, rows: list[dict[str, Any]]) -> None:
    """COPY the batch into a scratch table, then insert what is new: ~30x row-by-row INSERTs."""
    columns = list(rows[0])
    names = ", ".join(columns)
    scratch = f"import_{table}"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {scratch} ON COMMIT DROP AS "
            f"SELECT {names} FROM {table} WITH NO DATA"
        )
        with cursor.copy(f"COPY {scratch} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[column] for column in columns])
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {scratch} ON CONFLICT DO NOTHING"
        )
        cursor.execute(f"TRUNCATE {scratch}")
    finally:
        cursor.close()
