"""Check an uploaded archive whole before anything from it is added.

Order matters: the cheap, structural refusals (names, sizes, manifest) come before reading any
member, so a bomb is refused from its central directory without being unpacked.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webapp.imports import members, records
from webapp.imports.members import Limits
from webapp.imports.refusal import ImportRefused

# Progress: (bytes checked so far, bytes to check).
Progress = Callable[[int, int], None]
MANIFEST_SCHEMA = {
    "type": "object",
    "required": ["format", "version", "files"],
    "properties": {
        "user": {"type": "object", "properties": {"email": {"type": "string"}}},
        "continues": {
            "type": "object",
            "required": ["sha256"],
            "properties": {"sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}},
        },
        "files": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["path", "size", "sha256"],
                "properties": {
                    "path": {"type": "string"},
                    "size": {"type": "integer", "minimum": 0},
                    "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                },
            },
        },
    },
}
# `deleted` (in increments only) lists records an earlier link of the chain added.
IMPORTED = ("notes", "files", "deleted")


@dataclass(frozen=True)
class CheckedArchive:
    """What the check learned: the archive's origin and chain, and how many records it holds."""

    format: str
    version: int
    user_email: str | None
    counts: dict[str, int]
    continues: str | None = None  # the SHA-256 of the archive an increment continues


def check_archive(path: Path, limits: Limits, progress: Progress) -> CheckedArchive:
    """Refuse the archive with its error code, or describe it once every check has passed."""
    try:
        with zipfile.ZipFile(path) as archive:
            return _check(archive, limits, progress)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise ImportRefused("corrupt_archive", f"The file is not a readable ZIP: {exc}") from exc


def _check(archive: zipfile.ZipFile, limits: Limits, progress: Progress) -> CheckedArchive:
    """Run every check on an open ZIP."""
    found = members.check_members(archive, limits)
    manifest = members.read_manifest(found, archive)
    problem = records.first_error(records.validator(MANIFEST_SCHEMA), manifest)
    if problem is not None:
        raise ImportRefused("schema_invalid", f"manifest.json: {problem}")
    listed = members.match_manifest(manifest, found)
    total, done = sum(entry["size"] for entry in listed.values()), 0

    def advance(size: int) -> None:
        nonlocal done
        done += size
        progress(done, total)

    members.check_hashes(archive, listed, advance)
    counts = {section: _check_section(archive, listed, section) for section in IMPORTED}
    user, continues = manifest.get("user") or {}, manifest.get("continues") or {}
    return CheckedArchive(
        manifest["format"], manifest["version"], user.get("email"), counts, continues.get("sha256")
    )


def _check_section(archive: zipfile.ZipFile, listed: dict[str, Any], section: str) -> int:
    """Validate one data file if the archive has it; files must also point at real members."""
    if f"{section}.json" not in listed:
        return 0
    count = records.check_section(archive, section)
    if section == "files":
        for record in records.stream_records(archive, "files.json"):
            entry = listed.get(record["path"])
            if not record["path"].startswith("files/") or entry is None:
                raise ImportRefused(
                    "checksum_mismatch", f"files.json names {record['path']!r}, not in the archive."
                )
            if (entry["size"], entry["sha256"]) != (record["size"], record["sha256"]):
                raise ImportRefused(
                    "checksum_mismatch", f"{record['path']} does not match its files.json entry."
                )
    return count
