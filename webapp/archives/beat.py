"""Beat's periodic tasks: thin shells around the sweeper and the schedules."""

from __future__ import annotations

import logging

from celery import shared_task

from webapp.archives import schedules, sweeper

log = logging.getLogger(__name__)


@shared_task(name="archives.sweep", ignore_result=True)
def sweep() -> None:
    """Requeue lost and stalled jobs (beat runs this every ARCHIVE_SWEEP_INTERVAL)."""
    log.info("sweep: %s", sweeper.sweep())


@shared_task(name="archives.purge", ignore_result=True)
def purge() -> None:
    """Delete expired archives and stale temp files (beat runs this hourly)."""
    log.info("purge: %s", sweeper.purge())


@shared_task(name="archives.run_schedules", ignore_result=True)
def run_schedules() -> None:
    """Request the scheduled exports that are due (beat runs this every sweep interval)."""
    log.info("schedules: %s", schedules.run_due())
