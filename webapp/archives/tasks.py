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
from webapp.archives.transient import TRANSIENT_ERRORS, WAKE_UP_RETRIES, hand_back
from webapp.auth.models import User
from webapp.extensions import db
from webapp.ops.context import job_context

log = logging.getLogger(__name__)


@shared_task(
    name="archives.generate_user_archive",
    bind=True,
    ignore_result=True,
    **WAKE_UP_RETRIES,
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
            max_attempts = int(current_app.config["ARCHIVE_MAX_ATTEMPTS"])
            if not hand_back(lambda: transitions.release(claim, max_attempts), claim.job_id):
                return "failed"
            raise  # autoretry_for sends the next wake-up after Celery's backoff
