"""Offline check of an archive against its own manifest."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from webapp.archives.builder.content import FORMAT, VERSION

CHUNK = 1024 * 1024


@dataclass
class Report:
    """How many members matched, and what did not."""

    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Tell whether every member matched the manifest."""
        return not self.problems and self.checked > 0


def verify_archive(path: Path) -> Report:
    """Compare every member's size and SHA-256 with manifest.json."""
    report = Report()
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = orjson.loads(archive.read("manifest.json"))
            if (manifest.get("format"), manifest.get("version")) != (FORMAT, VERSION):
                report.problems.append("not a keepsake-archive version 1 manifest")
                return report
            listed = {entry["path"]: entry for entry in manifest["files"]}
            present = {name for name in archive.namelist() if name != "manifest.json"}
            unlisted, missing = sorted(present - set(listed)), sorted(set(listed) - present)
            report.problems += [f"{name}: not in the manifest" for name in unlisted]
            report.problems += [f"{name}: missing" for name in missing]
            for name in sorted(present & set(listed)):
                _check_member(archive, name, listed[name], report)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        report.problems.append(f"unreadable archive: {exc}")
    return report


def _check_member(
    archive: zipfile.ZipFile, name: str, entry: dict[str, object], report: Report
) -> None:
    """Hash one member as a stream and compare it with its manifest entry."""
    digest, size = hashlib.sha256(), 0
    with archive.open(name) as member:
        while chunk := member.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    if size != entry["size"] or digest.hexdigest() != entry["sha256"]:
        report.problems.append(f"{name}: size or SHA-256 differs from the manifest")
    else:
        report.checked += 1
