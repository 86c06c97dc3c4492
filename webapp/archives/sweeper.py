"""Recovery from lost messages and dead workers, and removal of what has expired.

The sweeper only chooses what to look at and reports; every change is a transition.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from webapp.archives import enqueue, notify, storage, transitions
from webapp.notes import actions as notes_actions
from webapp.types import utcnow


@dataclass(frozen=True)
class SweepReport:
    """What one sweep changed."""

    requeued: int
    failed: int
    enqueued: int


@dataclass(frozen=True)
class PurgeReport:
    """What one purge removed."""

    expired: int
    temp_files: int
    deleted_files: int  # bytes of deleted files that no running build needed any more


def sweep() -> SweepReport:
    """Requeue jobs whose lease ran out, fail those out of attempts, re-send lost messages."""
    now = utcnow()
    max_attempts = int(current_app.config["ARCHIVE_MAX_ATTEMPTS"])
    requeued = transitions.requeue(now, max_attempts)
    lost = transitions.fail_lost(now, max_attempts)
    for ref in lost:
        storage.remove_partials(ref.job_id)  # no attempt will come back for them
        notify.job_finished(ref.job_id)
    grace = timedelta(seconds=int(current_app.config["ARCHIVE_QUEUED_GRACE"]))
    unsent = transitions.take_unsent(utcnow() - grace)
    sent = sum(enqueue.publish(ref.job_id, ref.user_id) for ref in unsent)
    return SweepReport(len(requeued), len(lost), sent)


def purge() -> PurgeReport:
    """Mark expired archives, then delete their files, and drop orphaned temp files."""
    expired = transitions.expire(utcnow())
    for _, storage_keys in expired:
        for storage_key in storage_keys:
            storage.remove(storage_key)
    oldest = time.time() - int(current_app.config["ARCHIVE_TIME_LIMIT"])
    deleted_files = notes_actions.release_all_deleted_files()
    return PurgeReport(len(expired), storage.remove_stale_partials(oldest), deleted_files)
