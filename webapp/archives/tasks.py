"""The archive task: a thin shell that loads ids, calls the runner and maps errors to retries.

One budget bounds the work: ARCHIVE_MAX_ATTEMPTS, counted on the job row at each claim.
Celery's retries only carry the wake-up (with its own backoff and jitter) and are unbounded;
a wake-up that finds nothing to claim ends at once.
"""

from __future__ import annotations

import logging

from celery import Task, shared_task
from flask import current_app

from webapp.archives import runner, transitions
from webapp.archives.transient import TRANSIENT_ERRORS
from webapp.auth.models import User
from webapp.extensions import db
from webapp.ops.context import job_context

log = logging.getLogger(__name__)


@shared_task(
    name="archives.generate_user_archive",
    bind=True,
    ignore_result=True,
    autoretry_for=TRANSIENT_ERRORS,
    max_retries=None,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
)
def generate_user_archive(self: Task, user_id: int) -> str:
    """Build the user's queued archive, if this delivery is the one that claims it."""
    user = db.session.get(User, user_id)
    if user is None:
        return "no_user"
    # Keep the loaded user but end the session's transaction: a build may take hours, and an
    # idle transaction would hold a connection and a lock on users all that time.
    db.session.expunge(user)
    db.session.rollback()
    claim = transitions.claim(user_id, int(current_app.config["ARCHIVE_LEASE_SECONDS"]))
    if claim is None:
        return "nothing_to_do"
    with job_context(claim.job_id, claim.user_id, claim.attempt, claim.request_id):
        try:
            return runner.execute(claim, user)
        except TRANSIENT_ERRORS as exc:
            log.warning("job %s: transient error: %s", claim.job_id, exc)
            db.session.rollback()
            if not _release(claim):
                return "failed"
            raise  # autoretry_for sends the next wake-up after Celery's backoff


def _release(claim: transitions.Claim) -> bool:
    """Hand the job back (True: it wants a wake-up); if the database is down, the lease does."""
    try:
        return transitions.release(claim, int(current_app.config["ARCHIVE_MAX_ATTEMPTS"]))
    except TRANSIENT_ERRORS as exc:
        log.warning(
            "job %s: could not release (%s); the sweeper will once the lease ends",
            claim.job_id,
            exc,
        )
        return True
