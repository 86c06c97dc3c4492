"""What the Archives page says about a job, in words a person reads rather than codes."""

from __future__ import annotations

from typing import Any

from webapp.formatting import moment

STATUS_WORDS = {
    "queued": "Waiting to start",
    "running": "Being made",
    "succeeded": "Ready to download",
    "failed": "Failed",
    "cancelled": "Cancelled",
    "expired": "Expired",
}
PHASE_WORDS = {
    "waiting": "Waiting for a worker",
    "starting": "Starting",
    "counting": "Counting what goes in",
    "profile": "Writing your profile",
    "notes": "Writing your notes",
    "files": "Adding your files",
    "activity": "Writing your activity",
    "csv": "Writing the spreadsheets",
    "finishing": "Writing the index and manifest",
    "verifying": "Checking the archive",
}


def status_words(job: dict[str, Any]) -> str:
    """Name the job's state; a running job told to stop says so."""
    if job["cancel_requested"] and not job["ready"]:
        return "Cancelling"
    status = str(job["status"])
    return STATUS_WORDS.get(status, status.capitalize())


def progress_line(job: dict[str, Any]) -> str:
    """Describe where an active build is; before any count exists, say so instead of 0 / 0."""
    if job["status"] == "queued":
        return "Waiting for a worker to pick it up."
    phase = PHASE_WORDS.get(job["phase"], job["phase"].replace("_", " ").capitalize())
    if not job["items_total"]:
        return f"{phase}…"
    return f"{phase} · {job['items_done']:,} of {job['items_total']:,} items · {job['progress']}%"


def announcement(job: dict[str, Any]) -> str:
    """The sentence a screen reader hears when the job's state changes."""
    return f"Archive requested {moment(job['requested_at'])}: {status_words(job).lower()}."
