"""The archive builder: plain Python that streams sections into a verified ZIP."""

from webapp.archives.builder.errors import ArchiveError
from webapp.archives.builder.spec import Bulk, Field, FileRef, Section
from webapp.archives.builder.writer import BuildResult, Owner, build_archive

__all__ = [
    "ArchiveError",
    "BuildResult",
    "Bulk",
    "Field",
    "FileRef",
    "Owner",
    "Section",
    "build_archive",
]
