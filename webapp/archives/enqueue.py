"""Send the wake-up message for a job; a broker outage delays it, never fails the request."""

from __future__ import annotations

import logging
import uuid

import kombu.exceptions
import redis.exceptions
import sqlalchemy as sa

from webapp.archives.models import ArchiveJob
from webapp.extensions import db
from webapp.types import utcnow

log = logging.getLogger(__name__)
BROKER_ERRORS = (kombu.exceptions.OperationalError, redis.exceptions.RedisError, OSError)


def publish(job_id: uuid.UUID, user_id: int) -> bool:
    """Publish generate_user_archive(user_id); False (and a warning) if the broker is down."""
    from webapp.archives.tasks import generate_user_archive

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
    with db.engine.begin() as conn:
        conn.execute(
            sa.update(ArchiveJob.__table__)
            .where(ArchiveJob.__table__.c.id == job_id)
            .values(enqueued_at=utcnow())
        )
    return True
