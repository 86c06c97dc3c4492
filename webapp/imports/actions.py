"""What users and admins do with imports, shared by the page, the API and the CLI."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

import sqlalchemy as sa

from webapp.archives.models import ACTIVE_STATES
from webapp.archives.rows import reloaded
from webapp.extensions import db
from webapp.imports import enqueue, sets, storage, transitions
from webapp.imports.models import ImportJob


class ImportActive(Exception):
    """The user already has an import queued or running; one at a time."""

    message = "An import is already under way. Wait for it to finish, or cancel it."


def active_import(user_id: int) -> ImportJob | None:
    """Return the user's queued or running import, if any."""
    return db.session.scalar(
        sa.select(ImportJob).where(
            ImportJob.user_id == user_id, ImportJob.status.in_(ACTIVE_STATES)
        )
    )


def recent_imports(user_id: int, limit: int = 50) -> list[ImportJob]:
    """Return the user's newest imports first."""
    query = (
        sa.select(ImportJob)
        .where(ImportJob.user_id == user_id)
        .order_by(ImportJob.requested_at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def start_import(
    user_id: int, files: Sequence[tuple[str, IO[bytes]]], *, enqueue_message: bool = True
) -> ImportJob:
    """Store the uploaded archive (one ZIP, or an index part and its parts), then queue it.

    The job's SHA-256, by which a repeated import is recognised, is the root's: the index part
    pins every other part by its own SHA-256.
    """
    if active_import(user_id) is not None:
        raise ImportActive()
    stored = storage.save_upload(sets.index_first(files))
    root, size = stored[0], sum(each.size for each in stored)
    job_id = transitions.request(user_id, root.key, size, root.sha256)
    if job_id is None:
        storage.remove(root.key)  # a concurrent upload won the one-active index
        raise ImportActive()
    if enqueue_message:
        enqueue.send(job_id)
    return reloaded(ImportJob, job_id)


def cancel(job: ImportJob) -> bool:
    """Cancel a queued import now, or flag a running one for its worker; False if finished."""
    outcome = transitions.request_cancel(job.id)
    if outcome is not None:
        storage.remove(outcome[1])
    db.session.refresh(job)
    return outcome is not None
