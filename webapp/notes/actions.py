"""What users do to their notes and files, shared by the pages and the JSON API."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from webapp.archives.models import ArchiveJob, JobStatus
from webapp.extensions import db
from webapp.notes import quotas, storage
from webapp.notes.models import Attachment, Note, Tombstone
from webapp.storage import StoreUnavailable
from webapp.types import utcnow

log = logging.getLogger(__name__)


def owned_note(user_id: int, note_id: int) -> Note | None:
    """Return the user's note, or None whether it is someone else's or does not exist."""
    return db.session.scalar(sa.select(Note).where(Note.id == note_id, Note.user_id == user_id))


def owned_file(user_id: int, attachment_id: int) -> Attachment | None:
    """Return the user's file row, or None whether it is someone else's or does not exist."""
    return db.session.scalar(
        sa.select(Attachment).where(Attachment.id == attachment_id, Attachment.user_id == user_id)
    )


def create_note(user_id: int, title: str, body: str) -> Note:
    """Keep a new note within QUOTA_NOTES; QuotaReached says why not."""
    quotas.reserve_note(user_id)  # the owner's lock lasts until the commit below
    now = utcnow()
    note = Note(user_id=user_id, title=title, body=body, created_at=now, updated_at=now)
    db.session.add(note)
    db.session.commit()
    return note


def update_note(note: Note, title: str | None = None, body: str | None = None) -> Note:
    """Change a note's title and/or body; updated_at tells incremental archives it changed."""
    if title is not None:
        note.title = title
    if body is not None:
        note.body = body
    note.updated_at = utcnow()
    db.session.commit()
    return note


def delete_note(note: Note) -> None:
    """Delete a note and leave its tombstone in the same transaction."""
    db.session.add(Tombstone(user_id=note.user_id, section="notes", record_id=note.id))
    db.session.delete(note)
    db.session.commit()


def delete_file(attachment: Attachment) -> None:
    """Delete a file's row with its tombstone; its bytes go once no build can still need them."""
    user_id = attachment.user_id
    db.session.add(
        Tombstone(
            user_id=user_id,
            section="files",
            record_id=attachment.id,
            storage_key=attachment.storage_key,
        )
    )
    db.session.delete(attachment)
    db.session.commit()
    release_deleted_files(user_id)


def release_all_deleted_files() -> int:
    """Free what a crashed build or a store outage left waiting (the purge runs this)."""
    waiting = sa.select(Tombstone.user_id).where(Tombstone.storage_key.is_not(None)).distinct()
    return sum(release_deleted_files(user_id) for user_id in db.session.scalars(waiting).all())


def release_deleted_files(user_id: int) -> int:
    """Remove the bytes of the user's deleted files unless a build of theirs is running."""
    # Checked after the delete committed: a build whose snapshot still holds the row was
    # claimed (status running, committed) before that snapshot, so it is seen here.
    running = sa.select(ArchiveJob.id).where(
        ArchiveJob.user_id == user_id, ArchiveJob.status == JobStatus.RUNNING
    )
    if db.session.scalar(running.limit(1)) is not None:
        db.session.rollback()
        return 0
    pending = db.session.scalars(
        sa.select(Tombstone).where(Tombstone.user_id == user_id, Tombstone.storage_key.is_not(None))
    ).all()
    released = 0
    for tombstone in pending:
        try:
            storage.remove(tombstone.storage_key or "")
        except (OSError, StoreUnavailable) as exc:
            # The row is already gone for the user; the purge tries these bytes again.
            log.warning("deleted file %s kept for now: %s", tombstone.storage_key, exc)
            continue
        tombstone.storage_key = None
        released += 1
    db.session.commit()
    return released
