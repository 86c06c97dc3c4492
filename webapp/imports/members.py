"""The ZIP-level half of the check: safe names, bounded sizes, members that match the manifest."""

from __future__ import annotations

import hashlib
import stat
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from webapp.imports.refusal import ImportRefused

MANIFEST = "manifest.json"
MANIFEST_MAX_BYTES = 64 * 1024 * 1024
# Small members compress far better than any sane ratio without being bombs (a JSON "[]").
RATIO_FLOOR_BYTES = 1024 * 1024
CHUNK = 1024 * 1024
FORMAT = "keepsake-archive"
KNOWN_VERSIONS = frozenset({1, 2})


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a hostile archive from exhausting disk, memory or time."""

    max_bytes: int
    max_members: int
    max_ratio: float
    max_member_bytes: int

    @classmethod
    def from_config(cls, config: Any) -> Limits:
        """Read the IMPORT_MAX_* settings."""
        return cls(
            int(config["IMPORT_MAX_BYTES"]),
            int(config["IMPORT_MAX_MEMBERS"]),
            float(config["IMPORT_MAX_RATIO"]),
            int(config["IMPORT_MAX_MEMBER_BYTES"]),
        )


def unsafe_name(name: str) -> bool:
    """Absolute paths, `..`, backslashes, drive letters and control characters are refused."""
    if not name or name.startswith("/") or "\\" in name or (len(name) > 1 and name[1] == ":"):
        return True
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        return True
    return any(part in ("", ".", "..") for part in name.rstrip("/").split("/"))


def is_link(info: zipfile.ZipInfo) -> bool:
    """Tell whether a member is a symbolic link (Unix mode bits in the external attributes)."""
    return stat.S_ISLNK(info.external_attr >> 16)


@dataclass
class Tally:
    """Members and unpacked bytes counted so far, over every ZIP of one upload."""

    members: int = 0
    bytes: int = 0


def check_members(
    archive: zipfile.ZipFile, limits: Limits, tally: Tally
) -> dict[str, zipfile.ZipInfo]:
    """Refuse unsafe names, links, duplicates and bomb-like sizes; return the file members."""
    infos = archive.infolist()
    tally.members += len(infos)
    if tally.members > limits.max_members:
        raise ImportRefused("too_large", f"The archive has more than {limits.max_members} members.")
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        if unsafe_name(info.filename) or is_link(info) or info.filename in members:
            raise ImportRefused("unsafe_member", f"Unsafe member name: {info.filename!r}.")
        if info.flag_bits & 0x1:
            raise ImportRefused("corrupt_archive", f"{info.filename} is encrypted.")
        _check_size(info, limits)
        tally.bytes += info.file_size
        if tally.bytes > limits.max_bytes:
            raise ImportRefused(
                "too_large", f"The archive unpacks to more than {limits.max_bytes} bytes."
            )
        if not info.is_dir():
            members[info.filename] = info
    return members


def _check_size(info: zipfile.ZipInfo, limits: Limits) -> None:
    """Refuse one member that is too big or compressed suspiciously well."""
    if info.file_size > limits.max_member_bytes:
        raise ImportRefused(
            "too_large", f"{info.filename} unpacks to more than {limits.max_member_bytes} bytes."
        )
    ratio = info.file_size / max(1, info.compress_size)
    if info.file_size > RATIO_FLOOR_BYTES and ratio > limits.max_ratio:
        raise ImportRefused(
            "too_large", f"{info.filename} is compressed {ratio:.0f} to 1: a likely ZIP bomb."
        )


def read_manifest(members: dict[str, zipfile.ZipInfo], archive: zipfile.ZipFile) -> Any:
    """Parse manifest.json and refuse formats and versions this Keepsake does not know."""
    info = members.get(MANIFEST)
    if info is None:
        raise ImportRefused("corrupt_archive", "The archive has no manifest.json.")
    if info.file_size > MANIFEST_MAX_BYTES:
        raise ImportRefused("too_large", "manifest.json is too large.")
    try:
        manifest = orjson.loads(archive.read(MANIFEST))
    except orjson.JSONDecodeError as exc:
        raise ImportRefused("corrupt_archive", "manifest.json is not valid JSON.") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ImportRefused("unsupported_version", "This is not a Keepsake archive.")
    if manifest.get("version") not in KNOWN_VERSIONS:
        raise ImportRefused(
            "unsupported_version",
            f"Archive format version {manifest.get('version')!r} is not supported here.",
        )
    return manifest


def match_manifest(manifest: Any, members: dict[str, zipfile.ZipInfo]) -> dict[str, Any]:
    """Every member listed once, every listed member present; return the entries by path."""
    listed = {entry["path"]: entry for entry in manifest["files"]}
    unlisted = sorted(set(members) - {MANIFEST} - set(listed))
    if unlisted:
        raise ImportRefused("checksum_mismatch", f"{unlisted[0]} is not listed in the manifest.")
    missing = sorted(set(listed) - set(members))
    if missing:
        raise ImportRefused(
            "checksum_mismatch", f"The manifest lists {missing[0]}, which is missing."
        )
    return listed


def hash_member(archive: zipfile.ZipFile, name: str, progress: Callable[[int], None]) -> str:
    """Stream one member through SHA-256, reporting bytes read; a bad CRC or stream is corrupt."""
    digest = hashlib.sha256()
    try:
        with archive.open(name) as member:
            while chunk := member.read(CHUNK):
                digest.update(chunk)
                progress(len(chunk))
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise ImportRefused("corrupt_archive", f"{name} cannot be read: {exc}") from exc
    return digest.hexdigest()


def check_hashes(
    archive: zipfile.ZipFile, listed: dict[str, Any], progress: Callable[[int], None]
) -> None:
    """Compare every member's size and SHA-256 with its manifest entry."""
    for name, entry in listed.items():
        size = archive.getinfo(name).file_size
        if size != entry["size"] or hash_member(archive, name, progress) != entry["sha256"]:
            raise ImportRefused(
                "checksum_mismatch", f"{name} does not match its size or SHA-256 in the manifest."
            )
