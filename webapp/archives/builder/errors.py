"""Why a build stopped, as values the job row can record."""

from __future__ import annotations


class ArchiveError(Exception):
    """A permanent failure, with a user-safe code and message."""

    def __init__(self, code: str, message: str) -> None:
        """Keep the code apart from the message so the row can store both."""
        super().__init__(message)
        self.code = code
        self.message = message
