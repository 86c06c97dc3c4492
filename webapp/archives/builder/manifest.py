"""manifest.json: what an archive (or one part of it) holds, written after its members."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import orjson

from webapp.archives.builder.errors import ArchiveError
from webapp.archives.builder.zipper import Member

NAME = "manifest.json"


def dumps(value: Any) -> bytes:
    """Serialise small JSON members readably."""
    return orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n"


def entry(path: str, size: int, sha256: str) -> bytes:
    """One member's line in the manifest's files list."""
    return orjson.dumps({"path": path, "size": size, "sha256": sha256})


def part_entry(index: int, name: str, size: int, sha256: str) -> dict[str, Any]:
    """One part's line in the index part's parts list."""
    return {"index": index, "name": name, "size": size, "sha256": sha256}


def head_bytes(head: dict[str, Any]) -> bytes:
    """The manifest's fields before its files list."""
    return dumps(head)


def member(head: dict[str, Any], entries: IO[bytes], generated_at: datetime) -> Member:
    """Describe the manifest member; `entries` holds one JSON line per other member."""
    return Member(NAME, generated_at, _chunks(head, entries))


def _chunks(head: dict[str, Any], entries: IO[bytes]) -> Iterator[bytes]:
    # The head's closing "\n}\n" gives way to the files list, streamed from the spool.
    """Stream the manifest, its files list read back from the spool."""
    yield head_bytes(head)[:-3] + b',\n  "files": ['
    entries.seek(0)
    separator = b"\n    "
    for line in entries:
        yield separator + line.rstrip(b"\n")
        separator = b",\n    "
    yield b"\n  ]\n}\n"


def check(path: Path, expected_members: int) -> None:
    """Reopen a written ZIP and compare its directory with the manifest it carries."""
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        listing = orjson.loads(archive.read(NAME))
    sizes = {info.filename: info.file_size for info in infos}
    listed = {item["path"]: item["size"] for item in listing["files"]}
    if len(infos) != expected_members or sizes.pop(NAME, None) is None or sizes != listed:
        raise ArchiveError("archive_invalid", "The written archive did not match its manifest.")
