"""Keepsake archives made by hand for the import tests: valid ones, and each kind of bad one."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from webapp.archives.contents import SECTIONS

MOMENT = "2025-03-04T05:06:07.123456+00:00"
Members = dict[str, bytes]


def note(i: int, **changes: Any) -> dict[str, Any]:
    """A notes.json record."""
    return {
        "id": i,
        "title": f"Note {i}",
        "body": f"body {i}",
        "created_at": MOMENT,
        "updated_at": MOMENT,
        **changes,
    }


def file_record(i: int, name: str, data: bytes) -> dict[str, Any]:
    """A files.json record for bytes stored at files/<i>-<name>."""
    return {
        "id": i,
        "name": name,
        "path": f"files/{i}-{name}",
        "size": len(data),
        "content_type": "text/plain",
        "sha256": hashlib.sha256(data).hexdigest(),
        "created_at": MOMENT,
    }


def members(notes: list[dict[str, Any]], files: dict[str, bytes] | None = None) -> Members:
    """The data members of an archive: notes.json, files.json, the files, and every schema."""
    files = files or {}
    records = [file_record(i, name, data) for i, (name, data) in enumerate(files.items(), 1)]
    found: Members = {
        f"schema/{section.name}.json": orjson.dumps(section.json_schema()) for section in SECTIONS
    }
    found["notes.json"] = orjson.dumps(notes)
    found["files.json"] = orjson.dumps(records)
    for record, data in zip(records, files.values(), strict=True):
        found[record["path"]] = data
    return found


def manifest(listed: Members, version: int = 1) -> dict[str, Any]:
    """The manifest of these members, as the builder writes it."""
    return {
        "format": "keepsake-archive",
        "version": version,
        "generated_at": MOMENT,
        "user": {"id": 1, "email": "origin@example.com"},
        "sections": {},
        "files": [
            {"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in listed.items()
        ],
    }


def write(
    path: Path,
    listed: Members,
    *,
    head: dict[str, Any] | None = None,
    extra: Members | None = None,
    tamper: Callable[[zipfile.ZipFile], None] | None = None,
) -> Path:
    """Write a ZIP of `listed` with their manifest (or `head`), plus unlisted `extra` members."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in {**listed, **(extra or {})}.items():
            archive.writestr(name, data)
        archive.writestr("manifest.json", orjson.dumps(head or manifest(listed)))
        if tamper:
            tamper(archive)
    return path


def symlink_member(archive: zipfile.ZipFile) -> None:
    """Add a member that unpacks as a symbolic link to /etc/passwd."""
    info = zipfile.ZipInfo("files/link")
    info.external_attr = (0o120777 << 16) | 0
    archive.writestr(info, "/etc/passwd")


def zeros_bomb(path: Path, gib: int = 1) -> Path:
    """A valid-looking archive whose notes.json unpacks to `gib` GiB of zeros, written streamed."""
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("notes.json", "w", force_zip64=True) as member:
            for _ in range(gib * 1024):
                member.write(chunk)
        archive.writestr("manifest.json", orjson.dumps(manifest({})))
    return path


def flip_byte(path: Path, offset_in_member: int, member: str) -> Path:
    """Flip one byte inside a member's stored data, as a bad disk or a bad download would."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    data = bytearray(path.read_bytes())
    # The local header is 30 bytes plus the name and extra field, then the data.
    name_length = int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_length = int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_length + extra_length
    data[start + offset_in_member] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def write_set(
    folder: Path, parts: list[Members], stem: str = "keepsake-x", **fields: Any
) -> list[Path]:
    """An archive in parts as the builder lays one out: the index part first, then every part.

    Each part carries its own manifest saying its index; the index part's manifest lists every
    part by name, size and SHA-256.
    """
    head = {"id": stem, "selection": {}, "watermark": "w", **fields}
    paths, listing = [], []
    for index, listed in enumerate(parts, start=1):
        own = {**manifest(listed, version=2), **head, "part": {"index": index}}
        path = write(folder / f"{stem}.part{index}.zip", listed, head=own)
        data = path.read_bytes()
        sha256 = hashlib.sha256(data).hexdigest()
        listing.append({"index": index, "name": path.name, "size": len(data), "sha256": sha256})
        paths.append(path)
    readme = {"README.txt": b"An archive in parts: keep them together.\n"}
    index_head = {**manifest(readme, version=2), **head, "parts": listing}
    return [write(folder / f"{stem}.zip", readme, head=index_head), *paths]
