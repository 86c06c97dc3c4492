"""Send the wake-up message for a job; a broker outage delays it, never fails the request."""

from __future__ import annotations

import logging
import uuid

import kombu.exceptions
import redis.exceptions
import sqlalchemy as sa

from webapp.archives import queues, transitions
from webapp.archives.models import ArchiveJob
from webapp.archives.tasks import generate_user_archive
from webapp.extensions import db

log = logging.getLogger(__name__)
BROKER_ERRORS = (kombu.exceptions.OperationalError, redis.exceptions.RedisError, OSError)


def queue_for(job_id: uuid.UUID) -> str:
    """Name the job's queue from its row, so the request, a retry and the sweeper agree."""
    with db.engine.connect() as conn:
        estimated = conn.scalar(sa.select(ArchiveJob.estimated_size).where(ArchiveJob.id == job_id))
    return queues.queue_for(estimated)


def publish(job_id: uuid.UUID, user_id: int, queue: str | None = None) -> bool:
    """Publish generate_user_archive(user_id) to the job's queue; False if the broker is down.

    `queue`: the job's queue when the caller knows it (the request has just estimated the job).
    """
    try:
        generate_user_archive.apply_async((user_id,), queue=queue or queue_for(job_id))
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
