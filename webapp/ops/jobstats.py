"""The queue as the database sees it: the figures /metrics and the admin dashboard share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from webapp.archives import queues
from webapp.archives.models import ArchiveJob, JobStatus
from webapp.extensions import db
from webapp.types import utcnow

STATUSES = tuple(status.value for status in JobStatus)
WINDOWS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}


@dataclass(frozen=True)
class Outcomes:
    """What finished in a window: counts by status and failures by error_code."""

    finished: int = 0
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0
    failures_by_code: dict[str, int] = field(default_factory=dict)

    @property
    def failure_rate(self) -> float:
        """Failed jobs as a share of the jobs that finished (0 when none did)."""
        return self.failed / self.finished if self.finished else 0.0


def counts_by_status() -> dict[str, int]:
    """How many jobs are in each state, every state named even when empty."""
    rows = db.session.execute(
        sa.select(ArchiveJob.status, sa.func.count()).group_by(ArchiveJob.status)
    ).all()
    found = {str(status): int(count) for status, count in rows}
    return {status: found.get(status, 0) for status in STATUSES}


def oldest_queued_seconds(now: datetime | None = None) -> float:
    """Age of the oldest queued job in seconds; 0 when nothing waits."""
    oldest = db.session.scalar(
        sa.select(sa.func.min(ArchiveJob.requested_at)).where(ArchiveJob.status == "queued")
    )
    if oldest is None:
        return 0.0
    return max(0.0, ((now or utcnow()) - oldest).total_seconds())


def queue_depths() -> dict[str, int]:
    """Queued jobs per Celery queue: the default one, and archives_large for the largest."""
    large = sa.func.coalesce(sa.func.sum(sa.case((queues.is_large(), 1), else_=0)), 0)
    total, big = db.session.execute(
        sa.select(sa.func.count(), large).where(ArchiveJob.status == "queued")
    ).one()
    return {queues.default_queue(): int(total) - int(big), queues.large_queue(): int(big)}


def outcomes_since(since: datetime) -> Outcomes:
    """Jobs that finished since a moment, by status, and their failures by error_code."""
    rows = db.session.execute(
        sa.select(ArchiveJob.status, ArchiveJob.error_code, sa.func.count())
        .where(ArchiveJob.finished_at >= since)
        .group_by(ArchiveJob.status, ArchiveJob.error_code)
    ).all()
    by_status: dict[str, int] = {}
    by_code: dict[str, int] = {}
    for status, code, count in rows:
        by_status[status] = by_status.get(status, 0) + int(count)
        if status == "failed":
            by_code[code or "unknown"] = by_code.get(code or "unknown", 0) + int(count)
    return Outcomes(
        finished=sum(by_status.values()),
        succeeded=by_status.get("succeeded", 0) + by_status.get("expired", 0),
        failed=by_status.get("failed", 0),
        cancelled=by_status.get("cancelled", 0),
        failures_by_code=dict(sorted(by_code.items(), key=lambda item: -item[1])),
    )


def recent_outcomes(now: datetime | None = None) -> dict[str, Outcomes]:
    """Outcomes of the last hour and the last day."""
    moment = now or utcnow()
    return {name: outcomes_since(moment - span) for name, span in WINDOWS.items()}
