"""A job as JSON: DESIGN.md's field names, which outside tools rely on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for

from webapp.archives.models import ArchiveJob, JobStatus
from webapp.archives.selection import Selection


def iso(moment: datetime | None) -> str | None:
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
        "requested_at": iso(job.requested_at),
        "started_at": iso(job.started_at),
        "finished_at": iso(job.finished_at),
        "expires_at": iso(job.expires_at),
        "size": job.size,
        "sha256": job.sha256,
        "selection": Selection.parse(job.selection).to_json(),
        # An increment names the archive it continues once built; null for a full archive.
        "continues": (
            {"id": str(job.continues_id), "sha256": job.continues_sha256}
            if job.continues_id
            else None
        ),
        "estimated_size": job.estimated_size,
        "download_url": (
            url_for("archives_api.download", job_id=job.id) if job.is_downloadable else None
        ),
        "parts": parts_json(job),
    }


def stored_parts(job: ArchiveJob) -> list[dict[str, Any]]:
    """Every ZIP of a finished job; an archive from before parts is one part, index 0."""
    if job.parts:
        return sorted(job.parts, key=lambda part: int(part["index"]))
    if job.storage_key is None:
        return []
    return [{"index": 0, "storage_key": job.storage_key, "size": job.size, "sha256": job.sha256}]


def stored_part(job: ArchiveJob, index: int) -> dict[str, Any] | None:
    """One ZIP of a job by its index, or None."""
    return next((part for part in stored_parts(job) if part["index"] == index), None)


def parts_json(job: ArchiveJob) -> list[dict[str, Any]]:
    """The parts as DESIGN.md names them: index, size, sha256, download_url."""
    downloadable = job.is_downloadable
    return [
        {
            "index": part["index"],
            "size": part["size"],
            "sha256": part["sha256"],
            "download_url": (
                url_for("archives_api.download_part", job_id=job.id, index=part["index"])
                if downloadable
                else None
            ),
        }
        for part in stored_parts(job)
    ]


def download_name(job: ArchiveJob, index: int) -> str:
    """Name a downloaded ZIP; part i of NAME.zip is NAME.part<i>.zip, as verify expects."""
    name = f"keepsake-archive-{job.requested_at:%Y-%m-%d}-{str(job.id)[:8]}"
    return f"{name}.zip" if index == 0 else f"{name}.part{index}.zip"
