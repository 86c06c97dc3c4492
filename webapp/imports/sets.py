"""Which uploaded files are the parts an index part lists, each pinned there by size and SHA-256.

A set is refused before any member is read when a listed part is missing, a file is not one
of the listed parts (damaged, altered, from another archive) or a part is given twice; every
message names the part, so the user knows which file to fetch again.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

import orjson

from webapp.archives.builder.parts import part_path
from webapp.imports.bundle import MANIFEST, Bundle, Given
from webapp.imports.records import first_error, validator
from webapp.imports.refusal import ImportRefused
from webapp.storage.hashing import CHUNK, file_digest

HASH = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
LISTING = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["index", "size", "sha256"],
        "properties": {
            "index": {"type": "integer", "minimum": 1},
            "size": {"type": "integer", "minimum": 0},
            "sha256": HASH,
        },
    },
}
# The fields an index part and its parts share: they say whether a file is of the same archive.
SAME_ARCHIVE = ("id", "generated_at", "user")
INDEX_MISSING = (
    " of an archive in parts, and its index part (the ZIP whose manifest lists every part) is "
    "not among the files. Upload the index part together with every part."
)


def index_first(files: Sequence[tuple[str, IO[bytes]]]) -> list[tuple[str, IO[bytes]]]:
    """Order an upload's files with its root first: the index part, if one of them is (a peek)."""
    indexes = [i for i, (_, stream) in enumerate(files) if len(files) > 1 and _lists_parts(stream)]
    first = indexes[0] if indexes else 0
    return [files[first], *files[:first], *files[first + 1 :]]


def _lists_parts(stream: IO[bytes]) -> bool:
    """Tell whether a (seekable) upload is an index part; the full check comes later, whole."""
    try:
        with zipfile.ZipFile(stream) as archive:
            return "parts" in (_own_manifest(archive) or {})
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError):
        return False
    finally:
        stream.seek(0)


def match_parts(
    head: dict[str, Any], bundle: Bundle, advance: Callable[[int], None]
) -> dict[int, int]:
    """Map each part the root's manifest lists to the position of the file that is it, or refuse."""
    root, others = bundle.zips[0][0], bundle.zips[1:]
    if "part" in head:
        raise ImportRefused("checksum_mismatch", f"{_part_label(head, root.name)}{INDEX_MISSING}")
    listing = head.get("parts")
    if listing is None:
        if others:
            raise ImportRefused(
                "checksum_mismatch",
                f"{others[0][0].name} is not part of this archive: {root.name} is a whole "
                "archive on its own. Import one archive at a time.",
            )
        return {}
    _check_listing(listing)
    by_digest = {(entry["size"], entry["sha256"]): entry for entry in listing}
    found: dict[int, int] = {}
    for position, (given, archive) in enumerate(others, start=1):
        entry = by_digest.get(file_digest(given.path, advance))
        if entry is None:
            raise ImportRefused("checksum_mismatch", _stranger(head, given, archive))
        if entry["index"] in found:
            raise ImportRefused(
                "checksum_mismatch",
                f"Part {entry['index']} is given twice: "
                f"{bundle.zips[found[entry['index']]][0].name} and {given.name}.",
            )
        found[entry["index"]] = position
    for entry in sorted(listing, key=lambda entry: entry["index"]):
        if entry["index"] not in found:
            raise ImportRefused(
                "checksum_mismatch",
                f"Part {entry['index']} ({_part_name(root.name, entry['index'])}) is missing: "
                "upload the index part together with every part it lists.",
            )
    return found


def _part_name(root: str, index: int) -> str:
    """The name part `index` was downloaded under, beside an index part of this name."""
    return part_path(Path(root), index).name


def _check_listing(listing: Any) -> None:
    """Refuse a parts list that cannot pin each part: malformed, or an index given twice."""
    problem = first_error(validator(LISTING), listing)
    if problem is not None:
        raise ImportRefused("schema_invalid", f"manifest.json parts: {problem}")
    indexes = [entry["index"] for entry in listing]
    if len(set(indexes)) != len(indexes):
        raise ImportRefused("schema_invalid", "manifest.json lists a part twice.")


def _stranger(head: dict[str, Any], given: Given, archive: zipfile.ZipFile) -> str:
    """Say why a file matches no listed part, from what its own manifest claims, if readable."""
    own = _own_manifest(archive)
    if own is None or "part" not in own:
        return f"{given.name} is not a part of this archive."
    label = _part_label(own, given.name)
    if any(own.get(field) != head.get(field) for field in SAME_ARCHIVE):
        return f"{label} of another archive, not of this one: upload this archive's own part."
    return (
        f"{label}, but its size or SHA-256 differs from the index part's: it is damaged or altered."
    )


def _part_label(manifest: dict[str, Any], name: str) -> str:
    """Name a file by the part it says it is."""
    part = manifest.get("part")
    index = part.get("index") if isinstance(part, dict) else None
    return f"{name} is part {index}"


def _own_manifest(archive: zipfile.ZipFile) -> dict[str, Any] | None:
    """A part's own manifest when it reads as one (only to word a refusal); else None."""
    try:
        if archive.getinfo(MANIFEST).file_size > CHUNK:
            return None
        manifest = orjson.loads(archive.read(MANIFEST))
    except (KeyError, ValueError, zipfile.BadZipFile, zlib.error, EOFError, OSError):
        return None
    return manifest if isinstance(manifest, dict) else None
