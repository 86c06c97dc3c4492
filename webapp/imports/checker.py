"""Check an uploaded archive whole, in one ZIP or in parts, before anything from it is added.

Order matters: the cheap, structural refusals (names, sizes, manifest) come before reading any
member, so a bomb is refused from its central directory without being unpacked; then each part
is matched to the SHA-256 its index lists, and only then are members read.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from webapp.imports import bundle, members, records, sets
from webapp.imports.bundle import MANIFEST, Bundle, Given
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


def check_archive(files: Sequence[Given], limits: Limits, progress: Progress) -> CheckedArchive:
    """Refuse an archive (one ZIP, or an index part and its parts) with its code, or describe it."""
    try:
        with bundle.opened(files) as opened:
            return _check(opened, limits, progress)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise ImportRefused("corrupt_archive", f"The file is not a readable ZIP: {exc}") from exc


def _check(opened: Bundle, limits: Limits, progress: Progress) -> CheckedArchive:
    """Run every check on the open ZIPs, the limits holding over all of them together."""
    tally = members.Tally()
    found = [members.check_members(archive, limits, tally) for _, archive in opened.zips]
    manifest = _manifest(found[0], opened.zips[0][1], "manifest.json")
    total = sum(given.path.stat().st_size for given, _ in opened.zips[1:])
    total += sum(
        info.file_size for each in found for name, info in each.items() if name != MANIFEST
    )
    done = 0

    def advance(size: int) -> None:
        nonlocal done
        done += size
        progress(done, total)

    parts = sets.match_parts(manifest, opened, advance)
    listed = [(opened.zips[0][1], members.match_manifest(manifest, found[0]))]
    for index, position in sorted(parts.items()):
        given, archive = opened.zips[position]
        own = _manifest(found[position], archive, f"{given.name}: manifest.json")
        part = own.get("part")
        if not isinstance(part, dict) or part.get("index") != index:
            raise ImportRefused(
                "checksum_mismatch", f"{given.name} does not say it is part {index}, as listed."
            )
        listed.append((archive, members.match_manifest(own, found[position])))
    everything = _merged([entries for _, entries in listed])
    for archive, entries in listed:
        members.check_hashes(archive, entries, advance)
    counts = {section: _check_section(opened, everything, section) for section in IMPORTED}
    user, continues = manifest.get("user") or {}, manifest.get("continues") or {}
    return CheckedArchive(
        manifest["format"], manifest["version"], user.get("email"), counts, continues.get("sha256")
    )


def _manifest(found: dict[str, zipfile.ZipInfo], archive: zipfile.ZipFile, label: str) -> Any:
    """Read one ZIP's manifest and refuse it unless it fits the manifest schema."""
    manifest = members.read_manifest(found, archive)
    problem = records.first_error(records.validator(MANIFEST_SCHEMA), manifest)
    if problem is not None:
        raise ImportRefused("schema_invalid", f"{label}: {problem}")
    return manifest


def _merged(listed: list[dict[str, Any]]) -> dict[str, Any]:
    """Every member of the set by name; a name in two parts must be the same bytes in both."""
    everything: dict[str, Any] = {}
    for entries in listed:
        for name, entry in entries.items():
            before = everything.setdefault(name, entry)
            if (before["size"], before["sha256"]) != (entry["size"], entry["sha256"]):
                raise ImportRefused("unsafe_member", f"{name} is in two parts, with other bytes.")
    return everything


def _check_section(archive: Bundle, listed: dict[str, Any], section: str) -> int:
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
