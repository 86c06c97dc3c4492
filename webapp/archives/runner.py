"""Run one claimed attempt: build, then record the outcome the user will see."""

from __future__ import annotations

import errno
import logging
import time
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from flask import current_app

from webapp.archives import chain, notify, storage, transitions
from webapp.archives.builder import ArchiveError, BuildResult, Owner, build_archive
from webapp.archives.builder.writer import Progress
from webapp.archives.rows import LeaseLost
from webapp.archives.transient import is_transient
from webapp.archives.transitions import BuildCancelled, Claim
from webapp.auth.models import User
from webapp.extensions import db
from webapp.notes import actions as notes_actions
from webapp.storage import StoreUnavailable

log = logging.getLogger(__name__)
DISK_ERRORS = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
DISK_FULL = "The server ran out of space while writing your archive. Please try again later."
INTERNAL_ERROR = "Something went wrong on our side. We have logged it; please try again."


def build(claim: Claim, user: User, progress: Progress) -> BuildResult:
    """Clear what earlier attempts left, write and check the archive, then publish it."""
    key = storage.storage_key_for(claim.job_id, claim.attempt)
    target = storage.scratch_path(key)
    target.parent.mkdir(parents=True, exist_ok=True)
    if storage.clear_earlier_attempts(claim.job_id, claim.attempt):
        log.info("job %s: removed what earlier attempts left", claim.job_id)
    storage.remove_stale_partials(time.time() - int(current_app.config["ARCHIVE_TIME_LIMIT"]))
    result = write(claim, user, target, progress)
    items = result.items
    keys = chain.stored_keys(key, chain.part_rows(key, result.parts))
    try:
        for part_key in keys:
            # The heartbeat goes on during a long upload, so the lease does not run out.
            storage.publish(
                part_key,
                storage.scratch_path(part_key),
                lambda: progress("publishing", items, items),
            )
    except BaseException:
        # The store may have completed an upload even though its answer was lost.
        for part_key in keys:
            _remove_quietly(part_key)
        raise
    return result


def _remove_quietly(key: str) -> None:
    """Try to remove a possibly published archive; the next attempt retries if this fails."""
    try:
        storage.remove(key)
    except (OSError, StoreUnavailable) as exc:
        log.warning("could not remove %s yet (%s); the next attempt will", key, exc)


def write(claim: Claim, user: User, target: Path, progress: Progress) -> BuildResult:
    """Stream the user's archive from one consistent snapshot of the database."""
    conn = db.engine.connect()
    try:
        if conn.dialect.name == "postgresql":
            # One snapshot for every section: the archive never mixes two moments.
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            if conn.dialect.name != "postgresql":
                # pysqlite opens no transaction for reads; without one there is no snapshot.
                conn.exec_driver_sql("BEGIN")
            plan = chain.plan(conn, claim.job_id, user.id, claim.selection)
            return build_archive(
                conn,
                Owner(user.id, user.email),
                plan.sections,
                target,
                progress,
                preview_bytes=int(current_app.config["ARCHIVE_PREVIEW_BYTES"]),
                part_size=int(current_app.config["ARCHIVE_PART_SIZE"] or 0) or None,
                about=plan.about,
            )
    except BaseException:
        # It may be mid-COPY, or interrupted by a signal: discard it rather than roll back,
        # so cleanup can neither hang nor replace the real error with its own.
        conn.invalidate()
        raise
    finally:
        conn.close()


def execute(claim: Claim, user: User, progress: Progress | None = None) -> str:
    """Build and record the outcome, then free the bytes of files deleted meanwhile."""
    outcome = _attempt(claim, user, progress)
    notes_actions.release_deleted_files(claim.user_id)
    return outcome


def _attempt(claim: Claim, user: User, progress: Progress | None) -> str:
    """Build and record success, failure or cancellation; transient errors propagate."""
    config = current_app.config
    lease, limit = int(config["ARCHIVE_LEASE_SECONDS"]), float(config["ARCHIVE_SOFT_TIME_LIMIT"])
    progress = progress or transitions.Heartbeat(claim, lease, limit, renewed=True)
    try:
        result = build(claim, user, progress)
    except LeaseLost:
        log.warning("job %s: lease lost to another attempt; stopping", claim.job_id)
        return "lost"
    except BuildCancelled:
        transitions.cancel(claim)
        return "cancelled"
    except ArchiveError as exc:
        return _fail(claim, exc.code, exc.message)
    except SoftTimeLimitExceeded:
        return _fail(claim, "time_limit", transitions.TIME_LIMIT_MESSAGE)
    except Exception as exc:
        if is_transient(exc):
            raise  # the task retries it
        if isinstance(exc, OSError) and exc.errno in DISK_ERRORS:
            return _fail(claim, "disk_full", DISK_FULL)
        log.exception("job %s failed unexpectedly", claim.job_id)
        _fail(claim, "internal_error", INTERNAL_ERROR)
        raise
    key = storage.storage_key_for(claim.job_id, claim.attempt)
    if not transitions.succeed(claim, result, key, int(config["ARCHIVE_TTL"])):
        for part in chain.part_rows(key, result.parts):
            storage.remove(part["storage_key"])
        log.warning("job %s: finished after losing its lease; discarded the file", claim.job_id)
        return "lost"
    notify.job_finished(claim.job_id, taken=True, user=user)
    return "succeeded"


def _fail(claim: Claim, code: str, message: str) -> str:
    """Record a failure and tell the user."""
    if transitions.fail(claim, code, message):
        notify.job_finished(claim.job_id)
    return "failed"
