"""Send the wake-up message for a job; a broker outage delays it, never fails the request."""

from __future__ import annotations

import logging
import uuid

import kombu.exceptions
import redis.exceptions

from webapp.archives import transitions
from webapp.archives.tasks import generate_user_archive

log = logging.getLogger(__name__)
BROKER_ERRORS = (kombu.exceptions.OperationalError, redis.exceptions.RedisError, OSError)


def publish(job_id: uuid.UUID, user_id: int) -> bool:
    """Publish generate_user_archive(user_id); False (and a warning) if the broker is down."""
    try:
        generate_user_archive.delay(user_id)
    except BROKER_ERRORS as exc:
        log.warning("broker unreachable, job %s stays queued for the sweeper: %s", job_id, exc)
        return False
    return True


def send(job_id: uuid.UUID, user_id: int) -> bool:
    """Publish the job's message and note when, so the sweeper waits its grace period."""
    if not publish(job_id, user_id):
        return False
    transitions.mark_enqueued(job_id)
    return True
