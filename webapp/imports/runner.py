"""Run one claimed import attempt: check the archive whole, then add it, then record the end."""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager, nullcontext

from celery.exceptions import SoftTimeLimitExceeded
from flask import current_app
from sqlalchemy.engine import Connection

from webapp.archives.rows import LeaseLost
from webapp.archives.transient import is_transient
from webapp.extensions import db
from webapp.imports import bundle, importer, storage, transitions
from webapp.imports.bundle import Given
from webapp.imports.checker import check_archive
from webapp.imports.lineage import trace
from webapp.imports.members import Limits
from webapp.imports.models import ImportJob
from webapp.imports.refusal import ImportRefused
from webapp.imports.transitions import Claim, Counts, ImportCancelled
from webapp.notes.actions import release_deleted_files

log = logging.getLogger(__name__)
INTERNAL_ERROR = "Something went wrong on our side. We have logged it; please try again."
TIME_LIMIT = "The import took longer than the time allowed and was stopped. Nothing was added."
UPLOAD_GONE = "The uploaded archive is no longer stored. Please upload it again."


def execute(claim: Claim, heartbeat: importer.Progress | None = None) -> str:
    """Import and record success, failure or cancellation; transient errors propagate."""
    job = db.session.get(ImportJob, claim.job_id)
    upload_key, source = (job.upload_key, job.sha256) if job else (None, "")
    db.session.rollback()  # a long import must not hold the session's transaction open
    if upload_key is None:
        return _fail(claim, None, "file_missing", UPLOAD_GONE)
    progress = heartbeat or transitions.Heartbeat(
        claim, int(current_app.config["ARCHIVE_LEASE_SECONDS"])
    )
    # Files an earlier, dead attempt stored are nobody's: no row was committed with them.
    storage.remove_attempts(claim.job_id)
    try:
        run(claim, source, upload_key, progress)
    except LeaseLost:
        storage.remove_attempts(claim.job_id, claim.attempt)
        log.warning("import %s: lease lost to another attempt; stopping", claim.job_id)
        return "lost"
    except ImportCancelled:
        storage.remove_attempts(claim.job_id)
        if transitions.cancel(claim):
            storage.remove(upload_key)
        return "cancelled"
    except ImportRefused as exc:
        return _fail(claim, upload_key, exc.code, exc.message)
    except SoftTimeLimitExceeded:
        return _fail(claim, upload_key, "time_limit", TIME_LIMIT)
    except Exception as exc:
        storage.remove_attempts(claim.job_id, claim.attempt)
        if is_transient(exc):
            raise  # the task retries it
        log.exception("import %s failed unexpectedly", claim.job_id)
        _fail(claim, upload_key, "internal_error", INTERNAL_ERROR)
        raise
    storage.remove(upload_key)
    return "succeeded"


def run(claim: Claim, source: str, upload_key: str, progress: importer.Progress) -> Counts:
    """Check, store the files, then add every row and the success in one transaction."""
    with storage.local_files(upload_key) as given:
        return _run_from(given, claim, source, progress)


def _run_from(given: list[Given], claim: Claim, source: str, progress: importer.Progress) -> Counts:
    """Import from local files of the upload (one ZIP, or an index part and its parts)."""
    limits = Limits.from_config(current_app.config)
    checked = check_archive(given, limits, lambda done, total: progress("checking", done, total))
    notes, files = checked.counts["notes"], checked.counts["files"]
    with bundle.opened(given) as archive, db.engine.connect() as conn:
        lineage = trace(conn, claim.user_id, source, checked.continues)
        conn.rollback()
        transitions.note_source(
            claim, checked.format, checked.version, checked.user_email, lineage.root
        )
        if lineage.increment and lineage.already_imported:
            # Its edits, applied again, could undo a later increment's: it counts as done.
            counts = Counts(skipped_notes=notes, skipped_files=files)
            with conn.begin(), _joining(progress, conn):
                _succeed(conn, claim, counts, progress, notes)
            return counts
        plan = importer.store_files(archive, claim, lineage, conn, files, progress)
        conn.rollback()
        with conn.begin(), _joining(progress, conn):
            counts = importer.add_rows(conn, archive, claim, lineage, plan, notes, progress)
            _succeed(conn, claim, counts, progress, notes)
    if counts.deleted_files:
        release_deleted_files(claim.user_id)  # the bytes, once no build of this user needs them
    return counts


def _joining(progress: importer.Progress, conn: Connection) -> AbstractContextManager[None]:
    """Let the job's heartbeat write where the adding transaction allows (see Heartbeat)."""
    if isinstance(progress, transitions.Heartbeat):
        return progress.joining(conn)
    return nullcontext()


def _succeed(
    conn: Connection, claim: Claim, counts: Counts, progress: importer.Progress, notes: int
) -> None:
    """Renew the lease and honour a cancel just before the rows commit with the success."""
    progress("finishing", notes, notes)
    if not transitions.succeed(conn, claim, counts):
        raise LeaseLost(str(claim.job_id))  # leaving the block rolls every row back


def _fail(claim: Claim, upload_key: str | None, code: str, message: str) -> str:
    """Record a failure; the attempt's files and the upload go, since nothing was added."""
    storage.remove_attempts(claim.job_id)
    if transitions.fail(claim, code, message):
        storage.remove(upload_key)
    return "failed"
