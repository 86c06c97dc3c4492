"""Celery tasks: thin shells that load ids, call plain functions and map errors to retries."""

from __future__ import annotations

import logging
import random

from celery import Task, shared_task
from flask import current_app

from webapp.archives import runner, sweeper, transitions
from webapp.archives.transient import TRANSIENT_ERRORS
from webapp.auth.models import User
from webapp.extensions import db

log = logging.getLogger(__name__)
MAX_MESSAGE_RETRIES = 8


def backoff(retries: int) -> float:
    """Exponential backoff with full jitter, capped at five minutes."""
    return random.uniform(0, min(300.0, 2.0 ** (retries + 1)))


@shared_task(
    name="archives.generate_user_archive",
    bind=True,
    ignore_result=True,
    max_retries=MAX_MESSAGE_RETRIES,
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
    try:
        return runner.execute(claim, user)
    except TRANSIENT_ERRORS as exc:
        log.warning("job %s: transient error, retrying: %s", claim.job_id, exc)
        db.session.rollback()
        _release(claim)
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc


def _release(claim: transitions.Claim) -> None:
    """Hand the job back; if the database is still down the lease expiry does it instead."""
    try:
        transitions.release(claim, int(current_app.config["ARCHIVE_MAX_ATTEMPTS"]))
    except TRANSIENT_ERRORS as exc:
        log.warning(
            "job %s: could not release (%s); the sweeper will once the lease ends",
            claim.job_id,
            exc,
        )


@shared_task(name="archives.sweep", ignore_result=True)
def sweep() -> None:
    """Requeue lost and stalled jobs (beat runs this every ARCHIVE_SWEEP_INTERVAL)."""
    report = sweeper.sweep()
    log.info("sweep: %s", report)


@shared_task(name="archives.purge", ignore_result=True)
def purge() -> None:
    """Delete expired archives and stale temp files (beat runs this hourly)."""
    report = sweeper.purge()
    log.info("purge: %s", report)
