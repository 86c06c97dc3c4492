"""The beat task that keeps the store and the tables in agreement."""

from __future__ import annotations

import logging

from celery import shared_task

from webapp.storage import orphans

log = logging.getLogger(__name__)


@shared_task(name="storage.check_orphans", ignore_result=True)
def check_orphans() -> None:
    """Remove orphans in both directions (beat runs this every six hours)."""
    for line in orphans.check(remove=True).lines():
        log.info("storage check: %s", line)
