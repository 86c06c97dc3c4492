"""An import job as JSON: DESIGN.md's field names ("Moving and leaving")."""

from __future__ import annotations

from typing import Any

from webapp.archives.models import JobStatus
from webapp.archives.serialize import iso
from webapp.imports.models import ImportJob


def import_json(job: ImportJob) -> dict[str, Any]:
    """Describe an import for pollers, with where it came from and what it added."""
    return {
        "id": str(job.id),
        "status": job.status.value,
        "ready": job.ready,
        "successful": job.status == JobStatus.SUCCEEDED,
        "progress": job.progress,
        "phase": job.phase,
        "error_code": job.error_code,
        "error": job.error,
        "requested_at": iso(job.requested_at),
        "started_at": iso(job.started_at),
        "finished_at": iso(job.finished_at),
        "source": {
            "sha256": job.sha256,
            "format": job.source_format,
            "version": job.source_version,
            "user_email": job.source_email,
        },
        "added": {"notes": job.added_notes, "files": job.added_files},
        "skipped": {"notes": job.skipped_notes, "files": job.skipped_files},
        # Only an increment changes or deletes records that an earlier import added.
        "changed": {"notes": job.changed_notes},
        "deleted": {"notes": job.deleted_notes, "files": job.deleted_files},
    }
