"""Stream sections into a ZIP on disk with constant memory, then check and publish it."""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
import zipfile
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson
from isal import isal_zlib
from sqlalchemy.engine import Connection
from stream_zip import NO_COMPRESSION_64, ZIP_64, MemberFile, stream_zip

from webapp.archives.builder import content
from webapp.archives.builder.copytext import copy_rows
from webapp.archives.builder.encoding import csv_file, json_array
from webapp.archives.builder.errors import ArchiveError
from webapp.archives.builder.preview import Preview
from webapp.archives.builder.spec import FileRef, Section

CHUNK = 1024 * 1024
PROGRESS_EVERY = 500
# Progress counts work, not rows: each record is written twice (JSON, then CSV) and each file
# once but slowly, so each is worth two units; reported as items, units // UNITS.
UNITS = 2
MODE = 0o644
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Owner:
    """Whose archive this is, as the manifest names them."""

    id: int
    email: str


@dataclass(frozen=True)
class BuildResult:
    """What the job row records about a finished archive."""

    size: int
    sha256: str
    counts: dict[str, int]


def _deflate() -> Any:
    # ISA-L at level 1 deflates ~3.5x faster than zlib with smaller output (bench/).
    """Make a raw-deflate compressor with ISA-L at level 1."""
    return isal_zlib.compressobj(1, isal_zlib.DEFLATED, -isal_zlib.MAX_WBITS)


def partial_path(target: Path) -> Path:
    """Name a temp file beside the target, so os.replace never crosses filesystems."""
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")


def build_archive(
    conn: Connection,
    owner: Owner,
    sections: Sequence[Section],
    target: Path,
    progress: Progress,
    preview_bytes: int = 256 * 1024,
) -> BuildResult:
    """Write the archive to a temp file, fsync and check it, then move it to target."""
    partial = partial_path(target)
    try:
        with open(partial, "xb") as out, tempfile.TemporaryFile(dir=target.parent) as spool:
            plan = _Plan(conn, owner, sections, progress, preview_bytes, spool, target.parent)
            digest, size = hashlib.sha256(), 0
            members = plan.members()
            try:
                for chunk in stream_zip(members, chunk_size=CHUNK, get_compressobj=_deflate):
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
            finally:
                # Close every section's cursor while the connection is still open.
                members.close()
            out.flush()
            os.fsync(out.fileno())
        progress("verifying", plan.done, plan.total)
        _check(partial, plan.member_count)
        os.replace(partial, target)
        _fsync_dir(target.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BuildResult(size, digest.hexdigest(), dict(plan.counts))


@dataclass
class _Plan:
    """The members of one archive, produced lazily in order, with their manifest."""

    conn: Connection
    owner: Owner
    sections: Sequence[Section]
    progress: Progress
    preview_bytes: int
    manifest_spool: IO[bytes]
    spool_dir: Path
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    counts: dict[str, int] = field(default_factory=dict)
    previews: dict[str, Preview] = field(default_factory=dict)
    member_count: int = 0
    units: int = 0
    total_units: int = 0

    @property
    def done(self) -> int:
        """Items written so far, as the progress bar counts them."""
        return self.units // UNITS

    @property
    def total(self) -> int:
        """Items in the whole archive."""
        return self.total_units // UNITS

    def members(self) -> Generator[MemberFile, None, None]:
        """Yield every member; each one's bytes are produced only when the zip needs them."""
        self.progress("counting", 0, 0)
        for section in self.sections:
            self.counts[section.name] = section.count(self.conn, self.owner.id)
        # Each record is one item; a section with files adds one item per file.
        items = sum(self.counts.values()) + sum(
            self.counts[s.name] for s in self.sections if s.files is not None
        )
        self.total_units = items * UNITS
        yield self._member(
            "README.txt", [content.readme(self.owner.email, self.generated_at, self.sections)]
        )
        for section in self.sections:
            yield self._member(f"schema/{section.name}.json", [_dumps(section.json_schema())])
        for section in self.sections:
            yield from self._section_members(section)
        self.progress("finishing", self.done, self.total)
        yield self._member(
            "index.html",
            content.index_html(
                self.owner.email, self.generated_at, self.sections, self.counts, self.previews
            ),
        )
        yield self._manifest()

    def _section_members(self, section: Section) -> Iterator[MemberFile]:
        """Yield a section's JSON and CSV members, then its files."""
        layout = section.layout()
        preview = self.previews[section.name] = Preview(self.preview_bytes)

        def seen(objects: bytes, rows: int) -> None:
            """Feed the preview and count progress."""
            if not preview.full:
                preview.add_json_rows(objects)
            self._advance(section.name, rows)

        with tempfile.TemporaryFile(dir=self.spool_dir) as spool:
            rows = json_array(self._rows(section), layout, spool, seen)
            yield self._member(f"{section.name}.json", rows)
            counted = csv_file(layout, spool, lambda rows: self._advance(section.name, rows))
            yield self._member(f"{section.name}.csv", counted)
        if section.files is not None:
            for ref in section.files(self.conn, self.owner.id):
                yield self._file_member(ref)

    def _rows(self, section: Section) -> Iterable[bytes]:
        """The section's rows as COPY text: from PostgreSQL itself, or encoded from records."""
        if section.bulk is not None and section.bulk.available(self.conn):
            return section.bulk.rows(self.conn, self.owner.id)
        names = tuple(f.name for f in section.fields)
        return copy_rows(section.records(self.conn, self.owner.id), names)

    def _advance(self, phase: str, units: int) -> None:
        """Count work and report progress every PROGRESS_EVERY units of it."""
        before = self.units
        self.units += units
        if self.units // PROGRESS_EVERY != before // PROGRESS_EVERY:
            self.progress(phase, self.done, self.total)

    def _file_member(self, ref: FileRef) -> MemberFile:
        """Store packed files as they are, deflate the rest."""
        self.units += UNITS
        self.progress("files", self.done, self.total)
        if ref.compress:
            return self._member(ref.member_name, _read_file(ref), expect=ref.sha256)
        crc = _crc32_checked(ref)
        method = NO_COMPRESSION_64(ref.size, crc)
        return self._member(ref.member_name, _read_file(ref), method=method)

    def _member(
        self, name: str, chunks: Iterable[bytes], method: Any = ZIP_64, expect: str | None = None
    ) -> MemberFile:
        """Describe a member for stream-zip, counting it for the final check."""
        self.member_count += 1
        return (name, self.generated_at, MODE, method, self._tracked(name, chunks, expect))

    def _tracked(self, name: str, chunks: Iterable[bytes], expect: str | None) -> Iterator[bytes]:
        """Pass bytes through while hashing them for the manifest."""
        digest, size = hashlib.sha256(), 0
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            yield chunk
        if expect is not None and digest.hexdigest() != expect:
            raise ArchiveError("file_changed", f"A stored file changed while exporting: {name}")
        entry = {"path": name, "size": size, "sha256": digest.hexdigest()}
        self.manifest_spool.write(orjson.dumps(entry) + b"\n")

    def _manifest(self) -> MemberFile:
        """Describe the manifest member, written last so it can list every other one."""
        head = {
            "format": content.FORMAT,
            "version": content.VERSION,
            "generated_at": self.generated_at.isoformat(),
            "user": {"id": self.owner.id, "email": self.owner.email},
            "sections": {name: {"count": count} for name, count in self.counts.items()},
        }
        self.member_count += 1
        return ("manifest.json", self.generated_at, MODE, ZIP_64, self._manifest_chunks(head))

    def _manifest_chunks(self, head: dict[str, Any]) -> Iterator[bytes]:
        # The head's closing "\n}\n" gives way to the files list, streamed from the spool.
        """Stream the manifest, its files list read back from the spool."""
        yield _dumps(head)[:-3] + b',\n  "files": ['
        self.manifest_spool.seek(0)
        separator = b"\n    "
        for line in self.manifest_spool:
            yield separator + line.rstrip(b"\n")
            separator = b",\n    "
        yield b"\n  ]\n}\n"


def _dumps(value: Any) -> bytes:
    """Serialise small JSON members readably."""
    return orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n"


def _read_file(ref: FileRef) -> Iterator[bytes]:
    """Yield exactly ref.size bytes of a stored file, or fail with a clear reason."""
    remaining = ref.size
    try:
        with open(ref.path, "rb") as source:
            while remaining and (chunk := source.read(min(CHUNK, remaining))):
                remaining -= len(chunk)
                yield chunk
    except FileNotFoundError as exc:
        raise ArchiveError("file_missing", f"A stored file is missing: {ref.member_name}") from exc
    if remaining:
        raise ArchiveError(
            "file_changed", f"A stored file is shorter than recorded: {ref.member_name}"
        )


def _crc32_checked(ref: FileRef) -> int:
    """Read a file once for its CRC-32 (stored members need it first) and check its SHA-256."""
    crc, digest = 0, hashlib.sha256()
    for chunk in _read_file(ref):
        crc = isal_zlib.crc32(chunk, crc)
        digest.update(chunk)
    if digest.hexdigest() != ref.sha256:
        raise ArchiveError(
            "file_changed", f"A stored file no longer matches its checksum: {ref.member_name}"
        )
    return crc


def _check(path: Path, expected_members: int) -> None:
    """Reopen the written ZIP and compare its directory with the manifest it carries."""
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        manifest = orjson.loads(archive.read("manifest.json"))
    sizes = {info.filename: info.file_size for info in infos}
    listed = {entry["path"]: entry["size"] for entry in manifest["files"]}
    if (
        len(infos) != expected_members
        or sizes.pop("manifest.json", None) is None
        or sizes != listed
    ):
        raise ArchiveError("archive_invalid", "The written archive did not match its manifest.")


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable, not only the file's bytes."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
