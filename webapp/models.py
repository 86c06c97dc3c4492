"""Every model, imported in one place so db.metadata knows all tables."""

from webapp.archives.models import ArchiveJob
from webapp.auth.models import ActivityEvent, User
from webapp.notes.models import Attachment, Note

__all__ = ["ActivityEvent", "ArchiveJob", "Attachment", "Note", "User"]
