"""The import task: a thin shell that claims the job by id and maps errors to retries.

As for archives, one budget bounds the work (ARCHIVE_MAX_ATTEMPTS, counted on the row) and
Celery's own retries only carry the wake-up.
"""

from __future__ import annotations

import logging
import uuid

from celery import Task, shared_task
from flask import current_app

from webapp.archives.transient import TRANSIENT_ERRORS, WAKE_UP_RETRIES, hand_back
from webapp.extensions import db
from webapp.imports import runner, transitions

log = logging.getLogger(__name__)


@shared_task(
    name="imports.run_import",
    bind=True,
    ignore_result=True,
    **WAKE_UP_RETRIES,
)
def run_import(self: Task, job_id: str) -> str:
    """Run the queued import, if this delivery is the one that claims it."""
    lease = int(current_app.config["ARCHIVE_LEASE_SECONDS"])
    claim = transitions.claim(uuid.UUID(job_id), lease)
    if claim is None:
        return "nothing_to_do"
    try:
        return runner.execute(claim)
    except TRANSIENT_ERRORS as exc:
        log.warning("import %s: transient error: %s", job_id, exc)
        db.session.rollback()
        max_attempts = int(current_app.config["ARCHIVE_MAX_ATTEMPTS"])
        if not hand_back(lambda: transitions.release(claim, max_attempts), job_id):
            return "failed"
        raise
