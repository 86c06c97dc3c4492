"""The import task: a thin shell that claims the job by id and maps errors to retries.

As for archives, one budget bounds the work (ARCHIVE_MAX_ATTEMPTS, counted on the row) and
Celery's own retries only carry the wake-up.
"""

from __future__ import annotations

import logging
import uuid

from celery import Task, shared_task
from flask import current_app

from webapp.archives.transient import TRANSIENT_ERRORS
from webapp.extensions import db
from webapp.imports import runner, transitions

log = logging.getLogger(__name__)


@shared_task(
    name="imports.run_import",
    bind=True,
    ignore_result=True,
    autoretry_for=TRANSIENT_ERRORS,
    max_retries=None,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
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
        try:
            wants_retry = transitions.release(
                claim, int(current_app.config["ARCHIVE_MAX_ATTEMPTS"])
            )
        except TRANSIENT_ERRORS:
            wants_retry = True  # the database is down too: the lease hands it back later
        if not wants_retry:
            return "failed"
        raise
