"""Beat's erasure task: a thin shell around the eraser."""

from __future__ import annotations

import logging

from celery import shared_task

from webapp.erasure import eraser

log = logging.getLogger(__name__)


@shared_task(name="erasure.sweep", ignore_result=True)
def sweep() -> dict[str, str]:
    """Erase (or resume erasing) every account whose grace period is over."""
    outcomes: dict[str, str] = {}
    for user_id in eraser.due_accounts():
        try:
            outcomes[str(user_id)] = eraser.erase(user_id)
        except Exception:
            # The account stays locked; the next sweep resumes where this one stopped.
            log.exception("erasure of account %s stopped; it resumes on the next sweep", user_id)
            outcomes[str(user_id)] = "failed"
    if outcomes:
        log.info("erasure: %s", outcomes)
    return outcomes
