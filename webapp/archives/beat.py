"""Beat's periodic tasks: thin shells around the sweeper."""

from __future__ import annotations

import logging

from celery import shared_task

from webapp.archives import sweeper

log = logging.getLogger(__name__)


@shared_task(name="archives.sweep", ignore_result=True)
def sweep() -> None:
    """Requeue lost and stalled jobs (beat runs this every ARCHIVE_SWEEP_INTERVAL)."""
    log.info("sweep: %s", sweeper.sweep())


@shared_task(name="archives.purge", ignore_result=True)
def purge() -> None:
    """Delete expired archives and stale temp files (beat runs this hourly)."""
    log.info("purge: %s", sweeper.purge())
