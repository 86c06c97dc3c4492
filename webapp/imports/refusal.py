"""Why an archive is refused: a code from DESIGN.md and a message the user can act on."""

from __future__ import annotations


class ImportRefused(Exception):
    """The archive failed a check; nothing from it may be added."""

    def __init__(self, code: str, message: str) -> None:
        """Keep the error code and the user-safe message apart."""
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
