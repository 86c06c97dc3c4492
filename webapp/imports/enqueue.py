"""Send an import's wake-up; a broker outage leaves the job for the sweeper."""

from __future__ import annotations

import logging
import uuid

from webapp.archives.enqueue import BROKER_ERRORS
from webapp.imports import transitions
from webapp.imports.tasks import run_import

log = logging.getLogger(__name__)


def publish(job_id: uuid.UUID) -> bool:
    """Publish run_import(job_id); False (and a warning) if the broker is down."""
    try:
        run_import.delay(str(job_id))
    except BROKER_ERRORS as exc:
        log.warning("broker unreachable, import %s stays queued for the sweeper: %s", job_id, exc)
        return False
    return True


def send(job_id: uuid.UUID) -> bool:
    """Publish the job's message and note when, so the sweeper waits its grace period."""
    if not publish(job_id):
        return False
    transitions.mark_enqueued(job_id)
    return True
