"""Which Celery workers are alive right now, asked over the broker's remote control."""

from __future__ import annotations

import logging

from flask import current_app

from webapp.archives.enqueue import BROKER_ERRORS

log = logging.getLogger(__name__)
# A worker answers a ping from its main process even while every pool child builds; half a
# second is plenty on one network and keeps a scrape short.
PING_TIMEOUT = 0.5


def seen() -> list[str]:
    """Node names of the workers that answered a ping; empty when the broker is down."""
    control = current_app.extensions["celery"].control
    try:
        replies = control.ping(timeout=PING_TIMEOUT)
    except BROKER_ERRORS as exc:
        log.warning("could not ping workers: %s", exc)
        return []
    return sorted(name for reply in replies for name in reply)
