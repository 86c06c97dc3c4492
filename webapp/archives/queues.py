"""Fair queues: which Celery queue a job's message goes to, chosen by its estimated size."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from webapp.archives.models import ArchiveJob


def default_queue() -> str:
    """The queue of every archive at or below ARCHIVE_LARGE_THRESHOLD."""
    return str(current_app.config["CELERY"].get("task_default_queue") or "celery")


def large_queue() -> str:
    """The queue of archives above ARCHIVE_LARGE_THRESHOLD, served by their own workers."""
    return str(current_app.config["ARCHIVE_LARGE_QUEUE"])


def _threshold() -> int:
    """Estimated bytes above which an archive waits on the large queue."""
    return int(current_app.config["ARCHIVE_LARGE_THRESHOLD"])


def queue_for(estimated_size: int | None) -> str:
    """Name the queue of a job of this estimate; a job from before estimates is small."""
    large = estimated_size is not None and estimated_size > _threshold()
    return large_queue() if large else default_queue()


def is_large() -> sa.ColumnElement[bool]:
    """SQL: the job's estimate sends it to the large queue (the same rule as queue_for)."""
    return sa.and_(ArchiveJob.estimated_size.is_not(None), ArchiveJob.estimated_size > _threshold())
