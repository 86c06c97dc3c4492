"""The account page's activity trail in words, not the codes stored in activity_events."""

from __future__ import annotations

from webapp.auth.models import ActivityEvent

KIND_WORDS = {
    "login": "Logged in",
    "login_failed": "Failed login (wrong password)",
    "logout": "Logged out",
    "logout_everywhere": "Logged out on every device",
    "password_changed": "Changed the password",
    "reauth_failed": "Wrong password when confirming an export",
    "archive_requested": "Requested an archive",
    "archive_started": "Archive build started",
    "archive_succeeded": "Archive ready",
    "archive_failed": "Archive failed",
    "archive_downloaded": "Downloaded an archive",
    "archive_cancel_requested": "Asked to cancel an archive",
    "archive_cancelled": "Archive cancelled",
    "archive_deleted": "Deleted an archive",
    "schedule_started": "Started scheduled exports",
    "schedule_changed": "Changed scheduled exports",
    "schedule_stopped": "Stopped scheduled exports",
    "schedule_run": "Scheduled archive requested",
    "schedule_postponed": "Scheduled archive waits for the cooldown",
    "import_requested": "Uploaded an archive to import",
    "import_started": "Import started",
    "import_succeeded": "Import finished",
    "import_failed": "Import failed",
    "import_cancelled": "Import cancelled",
    "account_erase_requested": "Asked to close the account",
    "account_erase_cancelled": "Cancelled closing the account",
    "account_erase_refused": "Wrong password when closing the account",
}
ARCHIVE_ID_SHOWN = 8


def describe(event: ActivityEvent) -> str:
    """Say what happened; an archive event names its archive by the start of its id."""
    words = KIND_WORDS.get(event.kind) or event.kind.replace("_", " ").capitalize()
    if event.kind.startswith(("archive_", "schedule_run", "import_")) and event.detail:
        return f"{words} ({event.detail[:ARCHIVE_ID_SHOWN]})"
    return f"{words} ({event.detail})" if event.detail else words
