"""Every model, imported in one place so db.metadata knows all tables."""

from webapp.archives.attempts import ArchiveAttempt
from webapp.archives.models import ArchiveJob
from webapp.archives.schedule_model import ArchiveSchedule
from webapp.auth.models import ActivityEvent, User
from webapp.imports.models import ImportJob
from webapp.notes.models import Attachment, Note, Tombstone

__all__ = [
    "ActivityEvent",
    "ArchiveAttempt",
    "ArchiveJob",
    "ArchiveSchedule",
    "Attachment",
    "ImportJob",
    "Note",
    "Tombstone",
    "User",
]
