"""Offline check of an archive, or of a whole set of parts, against their manifests."""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from webapp.archives.builder.content import FORMAT
from webapp.archives.builder.parts import part_path
from webapp.storage.hashing import CHUNK, file_digest

VERSIONS = (1, 2)


@dataclass
class Report:
    """How many members and parts matched, and what did not."""

    checked: int = 0
    parts: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Tell whether every member matched the manifest."""
        return not self.problems and self.checked > 0

    def add(self, other: Report, label: str) -> None:
        """Fold a part's report into the set's, naming the part in each problem."""
        self.checked += other.checked
        self.problems += [f"{label}: {problem}" for problem in other.problems]


def read_manifest(path: Path) -> dict[str, Any]:
    """Read an archive's manifest.json; raise ValueError when it is not a Keepsake archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = orjson.loads(archive.read("manifest.json"))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ValueError(f"unreadable archive: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError("not a keepsake-archive manifest")
    if manifest.get("version") not in VERSIONS:
        raise ValueError(f"unsupported keepsake-archive version {manifest.get('version')}")
    return manifest


def verify_archive(path: Path) -> Report:
    """Compare every member of one ZIP (an archive or a part) with its own manifest.json."""
    report = Report()
    try:
        manifest = read_manifest(path)
        with zipfile.ZipFile(path) as archive:
            listed = {entry["path"]: entry for entry in manifest["files"]}
            present = {name for name in archive.namelist() if name != "manifest.json"}
            unlisted, missing = sorted(present - set(listed)), sorted(set(listed) - present)
            report.problems += [f"{name}: not in the manifest" for name in unlisted]
            report.problems += [f"{name}: missing" for name in missing]
            for name in sorted(present & set(listed)):
                _check_member(archive, name, listed[name], report)
    except (zipfile.BadZipFile, KeyError, TypeError, ValueError, OSError) as exc:
        report.problems.append(str(exc) if isinstance(exc, ValueError) else f"unreadable: {exc}")
    return report


def verify_set(paths: Sequence[Path]) -> Report:
    """Check an archive; for an index part, check every part it lists as well."""
    root = paths[0]
    try:
        manifest = read_manifest(root)
    except ValueError as exc:
        return Report(problems=[f"{root.name}: {exc}"])
    if "part" in manifest:
        index = manifest["part"].get("index")
        return Report(problems=[f"{root.name} is part {index}; verify its index part instead"])
    report = verify_archive(root)
    report.parts = 1
    given = {path.name: path for path in paths[1:]}
    for listed in manifest.get("parts", []):
        _verify_part(root, given, manifest, listed, report)
    return report


def verify_chain(paths: Sequence[Path]) -> Report:
    """Check a full archive and its increments in order: each whole, each continuing the last."""
    report, previous = Report(), None
    for path in paths:
        link = verify_set([path])  # a link in parts keeps them beside its index part
        report.add(link, path.name)
        report.parts += link.parts
        if link.problems:
            continue
        continues = read_manifest(path).get("continues")
        if previous is None and continues:
            report.problems.append(f"{path.name}: an increment; a chain starts with a full one")
        elif previous is not None and (
            not isinstance(continues, dict) or continues.get("sha256") != file_digest(previous)[1]
        ):
            report.problems.append(f"{path.name}: does not continue {previous.name}")
        previous = path
    return report


def _verify_part(
    root: Path,
    given: dict[str, Path],
    head: dict[str, Any],
    listed: dict[str, Any],
    report: Report,
) -> None:
    """Check one listed part: present, the bytes the index names, and its own members."""
    if listed["index"] == 0:
        return
    expected = part_path(root, int(listed["index"]))
    path = given.get(expected.name, expected)
    label = f"part {listed['index']} ({path.name})"
    if not path.is_file():
        report.problems.append(f"{label}: missing")
        return
    size, sha256 = file_digest(path)
    if (size, sha256) != (listed["size"], listed["sha256"]):
        report.problems.append(f"{label}: size or SHA-256 differs from the index")
    part = verify_archive(path)
    if not part.problems:
        own = read_manifest(path)
        if own.get("generated_at") != head.get("generated_at") or own.get("user") != head.get(
            "user"
        ):
            part.problems.append("belongs to another archive")
    report.add(part, label)
    report.parts += 1


def _check_member(
    archive: zipfile.ZipFile, name: str, entry: dict[str, object], report: Report
) -> None:
    """Hash one member as a stream and compare it with its manifest entry."""
    digest, size = hashlib.sha256(), 0
    try:
        with archive.open(name) as member:
            while chunk := member.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        report.problems.append(f"{name}: unreadable ({exc})")
        return
    if size != entry["size"] or digest.hexdigest() != entry["sha256"]:
        report.problems.append(f"{name}: size or SHA-256 differs from the manifest")
    else:
        report.checked += 1
