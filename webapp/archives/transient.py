"""Which errors are worth retrying: lost connections and lock timeouts, not bugs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import kombu.exceptions
import redis.exceptions
import sqlalchemy.exc

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
)
# Celery's retry options for a task whose job row bounds the attempts: its retries only carry
# the wake-up, so they are unbounded, with Celery's own backoff and jitter (capped at 5 min).
WAKE_UP_RETRIES: dict[str, Any] = {
    "autoretry_for": TRANSIENT_ERRORS,
    "max_retries": None,
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
}
log = logging.getLogger(__name__)


def is_transient(exc: BaseException) -> bool:
    """Tell whether trying again later may succeed."""
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, TRANSIENT_ERRORS)


def hand_back(release: Callable[[], bool], job_id: object) -> bool:
    """Release after a transient error (True: wants a wake-up); a down database: the lease."""
    try:
        return release()
    except TRANSIENT_ERRORS as exc:
        log.warning("job %s: could not release (%s); the lease will hand it back", job_id, exc)
        return True
