"""An archive's members by name, whether it came as one ZIP or as an index part and its parts.

An archive in parts never splits a member, so once the set is checked every name (but each
part's own manifest.json) lives in exactly one ZIP, or in several with the same bytes.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from webapp.imports.refusal import ImportRefused

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Given:
    """One uploaded file, readable here, under the name its owner gave it (for messages)."""

    path: Path
    name: str


class Bundle:
    """The open ZIPs of one upload, its root first; each member is read from the ZIP holding it."""

    def __init__(self, zips: list[tuple[Given, zipfile.ZipFile]]) -> None:
        """Index every member but the manifests by name, the first ZIP holding it winning."""
        self.zips = zips
        self._where: dict[str, zipfile.ZipFile] = {}
        for _, archive in zips:
            for name in archive.namelist():
                if name != MANIFEST:
                    self._where.setdefault(name, archive)

    def namelist(self) -> list[str]:
        """Every member's name, once."""
        return list(self._where)

    def getinfo(self, name: str) -> zipfile.ZipInfo:
        """A member's entry in its ZIP's central directory; KeyError when no ZIP has it."""
        return self._where[name].getinfo(name)

    def open(self, name: str) -> IO[bytes]:
        """Stream one member's bytes."""
        return self._where[name].open(name)

    def read(self, name: str) -> bytes:
        """Read one (small) member whole."""
        return self._where[name].read(name)


@contextmanager
def opened(files: Sequence[Given]) -> Iterator[Bundle]:
    """Open every file as a ZIP, or refuse naming the one that is not a readable ZIP."""
    with ExitStack() as stack:
        zips = []
        for given in files:
            try:
                zips.append((given, stack.enter_context(zipfile.ZipFile(given.path))))
            except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
                where = f"{given.name} is" if len(files) > 1 else "The file is"
                raise ImportRefused(
                    "corrupt_archive", f"{where} not a readable ZIP: {exc}"
                ) from exc
        yield Bundle(zips)
