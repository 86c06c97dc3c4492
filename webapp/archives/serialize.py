"""A job as JSON: DESIGN.md's field names, which outside tools rely on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for

from webapp.archives.models import ArchiveJob, JobStatus


def _iso(moment: datetime | None) -> str | None:
    """Write a moment as ISO 8601, or None."""
    return moment.isoformat() if moment else None


def job_json(job: ArchiveJob) -> dict[str, Any]:
    """Describe a job for pollers; `ready` and `successful` keep the seed's contract."""
    return {
        "id": str(job.id),
        "status": job.status.value,
        "ready": job.ready,
        "successful": job.status == JobStatus.SUCCEEDED,
        "progress": job.progress,
        "phase": job.phase,
        "items_done": job.items_done,
        "items_total": job.items_total,
        "attempts": job.attempts,
        "cancel_requested": job.cancel_requested,
        "error_code": job.error_code,
        "error": job.error,
        "requested_at": _iso(job.requested_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
        "expires_at": _iso(job.expires_at),
        "size": job.size,
        "sha256": job.sha256,
        "download_url": (
            url_for("archives_api.download", job_id=job.id) if job.is_downloadable else None
        ),
    }
