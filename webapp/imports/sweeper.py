"""Recovery of imports from lost messages and dead workers; it only chooses rows and reports."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from flask import current_app

from webapp.imports import enqueue, storage, transitions
from webapp.types import utcnow


def sweep() -> dict[str, int]:
    """Requeue imports whose lease ran out, fail those out of attempts, re-send lost messages."""
    now = utcnow()
    max_attempts = int(current_app.config["ARCHIVE_MAX_ATTEMPTS"])
    requeued = transitions.requeue(now, max_attempts)
    lost = transitions.fail_lost(now, max_attempts)
    for ref, upload_key in lost:
        storage.remove_attempts(ref.job_id)  # no attempt will come back for them
        storage.remove(upload_key)
    grace = timedelta(seconds=int(current_app.config["ARCHIVE_QUEUED_GRACE"]))
    unsent = transitions.take_unsent(utcnow() - grace)
    sent = sum(enqueue.publish(ref.job_id) for ref in unsent)
    return {"requeued": len(requeued), "failed": len(lost), "enqueued": sent}


@shared_task(name="imports.sweep", ignore_result=True)
def sweep_task() -> dict[str, int]:
    """Beat's entry point, every ARCHIVE_SWEEP_INTERVAL."""
    return sweep()
