"""ZIP64 members packed on a thread of their own, so formatting never waits for the compressor.

Each member's bytes get their CRC-32, deflate (ISA-L level 1) or are stored, and go to the
part file or to a spool of packed bytes, all on one packing thread, in the order they were
handed over. ISA-L, the CRC and file writes release the GIL, so the packing runs on the other
core while the builder formats the next block. A spooled member's packed size is exact, and
copying it into a part costs a copy of packed bytes, not a second compression.
"""

from __future__ import annotations

import hashlib
import os
import struct
import sys
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from isal import isal_zlib

from webapp.archives.builder.errors import ArchiveError

MODE = 0o644
# Chunks handed over and not yet packed: bounds memory at DEPTH x GATHER.
DEPTH = 2
# Bytes gathered into one hand-over. Each GIL-releasing call on the packing thread (CRC,
# hash, deflate, write) waits up to the 5 ms switch interval to get the GIL back from the
# formatting thread, so the packer needs few, large calls: 4 MiB (4 in flight) made a 1M-note
# build 0.90x the wall time of 64 KiB (4 alternating pairs, same CPU), but peaked at 143 MiB;
# 2 in flight keep the worker under the 150 MB bound.
GATHER = 4 * 1024 * 1024
# Bytes written between starts of their writeback (see ZipOut._start_writeback).
WRITEBACK = 32 * 1024 * 1024
# The GIL switch interval while a packing thread runs. Each of the packer's calls ends by
# taking the GIL back from the formatting thread, which holds it until the interval runs out:
# at Python's 5 ms the packer slept 1.3-1.6 s on the GIL per 66 hand-overs (278 MB), at
# 0.1 ms 0.2 s (schedstat of the packing thread, bench figures in the commit).
SWITCH_INTERVAL = 0.0001
_LOCAL = struct.Struct("<4sHHH4sIIIHH")
_CENTRAL = struct.Struct("<4sBBBBHH4sIIIHHHHHII")
_LOCAL_64 = struct.Struct("<2sHQQ")
_CENTRAL_64 = struct.Struct("<2sHQQQ")
_UNIX_TIME = struct.Struct("<2sH1sl")
_DESCRIPTOR = struct.Struct("<4sIQQ")
_END_64 = struct.Struct("<4sQHHIIQQQQ")
_LOCATOR = struct.Struct("<4sIQI")
_END = struct.Struct("<4sHHHHIIH")
_UTF8, _DESCRIBED_AFTER = 0x0800, 0x0008
_FULL32 = 0xFFFFFFFF
Chunk = bytes | memoryview  # a file's piece stays in the buffer it was read into


@dataclass(frozen=True)
class Member:
    """A member to write: name, time, bytes; `stored` = (size, CRC-32) if not deflated."""

    name: str
    modified: datetime
    chunks: Any  # Iterable[bytes]
    stored: tuple[int, int] | None = None
    expect: str | None = None  # the SHA-256 its bytes must have (a stored file's)
    # The CRC-32 recorded with `expect` at upload: the bytes are checked against it as they
    # pass, and `expect` goes in the manifest without hashing them a second time.
    crc32: int | None = None
    # Takes back a chunk's buffer once packed (chunks read into reused buffers).
    recycle: Callable[[memoryview], None] | None = None
    # Packed ahead into a spool, beside an earlier member: waits for its last bytes.
    ready: Callable[[], Packed] | None = None


@dataclass
class Packed:
    """A member's figures once packed: CRC-32, SHA-256, raw and packed sizes, and any spool."""

    member: Member
    crc32: int = 0
    size: int = 0
    packed: int = 0
    spool: IO[bytes] | None = None
    digest: Any = field(default_factory=hashlib.sha256)

    def sha256(self) -> str:
        """The member's SHA-256, once all its bytes are packed; a stored file's must match."""
        member = self.member
        if member.expect is None:
            sha256: str = self.digest.hexdigest()
            return sha256
        if member.crc32 is not None:
            unchanged = self.crc32 == member.crc32  # the bytes were not hashed again
        else:
            unchanged = self.digest.hexdigest() == member.expect
        if not unchanged:
            changed = f"A stored file changed while exporting: {member.name}"
            raise ArchiveError("file_changed", changed)
        return member.expect

    @property
    def method(self) -> int:
        """ZIP compression method: 0 stored, 8 deflated."""
        return 0 if self.member.stored is not None else 8


class Packer:
    """One thread that packs and writes, in the order given; its first error is raised here."""

    def __init__(self) -> None:
        """Start the packing thread."""
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="packer")
        self._pending: deque[Future[None]] = deque()
        self._closed = False
        _Switching.enter()

    def submit(self, work: Callable[..., None], *args: Any, size: int = 0) -> None:
        """Queue work; wait for the oldest when DEPTH are queued (memory stays bounded).

        Work on fewer than GATHER bytes runs here at once when nothing is queued: a small
        archive is then packed without a single hand-over, each of which costs more than it.
        """
        while self._pending and self._pending[0].done():
            self._pending.popleft().result()
        if size < GATHER and not self._pending:
            work(*args)
            return
        self._pending.append(self._pool.submit(work, *args))
        while len(self._pending) > DEPTH:
            self._pending.popleft().result()

    def drain(self) -> None:
        """Wait until everything queued is done."""
        while self._pending:
            self._pending.popleft().result()

    def close(self) -> None:
        """Stop the thread, dropping queued work (after an error, nothing more is written)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pending.clear()
        if not self._closed:  # close() runs again on every error path
            self._closed = True
            _Switching.leave()


class _Switching:
    """The process-wide switch interval, lowered while any packing thread runs."""

    lock = threading.Lock()
    packers = 0
    interval = 0.0

    @classmethod
    def enter(cls) -> None:
        """Lower the interval for one more packer (saving what it was for the first)."""
        with cls.lock:
            if not cls.packers:
                cls.interval = sys.getswitchinterval()
                sys.setswitchinterval(SWITCH_INTERVAL)
            cls.packers += 1

    @classmethod
    def leave(cls) -> None:
        """Give the interval back once the last packer stops."""
        with cls.lock:
            cls.packers -= 1
            if not cls.packers:
                sys.setswitchinterval(cls.interval)


class _Stream:
    """A member's bytes on the packing thread: CRC-32, sizes, deflate, then to a sink."""

    def __init__(self, packed: Packed, sink: Callable[[Chunk], object]) -> None:
        """Pack into `packed`'s figures, writing what comes out to `sink`."""
        self.packed = packed
        self._sink = sink
        self._deflate = (
            isal_zlib.compressobj(1, isal_zlib.DEFLATED, -isal_zlib.MAX_WBITS)
            if packed.member.stored is None
            else None
        )

    def feed(self, chunk: Chunk) -> None:
        """Pack one chunk, then give its buffer back if it was read into one."""
        self.packed.crc32 = isal_zlib.crc32(chunk, self.packed.crc32)
        if self.packed.member.expect is None:
            self.packed.digest.update(chunk)
        self.packed.size += len(chunk)
        self._out(self._deflate.compress(chunk) if self._deflate is not None else chunk)
        recycle = self.packed.member.recycle
        if recycle is not None and isinstance(chunk, memoryview):
            recycle(chunk)

    def finish(self) -> None:
        """End the deflate stream."""
        if self._deflate is not None:
            self._out(self._deflate.flush())

    def _out(self, data: Chunk) -> None:
        """Count and pass on packed bytes."""
        if data:
            self.packed.packed += len(data)
            self._sink(data)


class Feeder:
    """Gathers a member's chunks as they come and hands them to the packer in large pieces."""

    def __init__(self, packer: Packer, packed: Packed, sink: Callable[[Chunk], object]) -> None:
        """Pack into `packed`'s figures, writing what comes out to `sink`."""
        self.packed = packed
        self._packer = packer
        self._stream = _Stream(packed, sink)
        # Pieces travel together: each hand-over costs the packer GIL round trips (see GATHER).
        self._gathered: list[Chunk] = []
        self._size = 0

    def feed(self, chunk: Chunk) -> None:
        """Take one chunk; hand over what is gathered once it reaches GATHER."""
        member = self.packed.member
        if member.expect is not None and member.crc32 is None:
            # A stored file without a recorded CRC-32: this thread only reads it, so it
            # hashes here; the packer deflates.
            self.packed.digest.update(chunk)
        self._gathered.append(chunk)
        self._size += len(chunk)
        if self._size >= GATHER:
            self._hand_over()

    def finish(self) -> Packed:
        """Hand over the rest and the end of the stream; the figures are complete once drained."""
        self._hand_over()
        self._packer.submit(self._stream.finish)
        return self.packed

    def _hand_over(self) -> None:
        """Queue what is gathered on the packer."""
        if self._gathered:
            self._packer.submit(self._stream.feed, _joined(self._gathered), size=self._size)
            self._gathered, self._size = [], 0


def pack(
    packer: Packer, member: Member, sink: Callable[[Chunk], object], packed: Packed | None = None
) -> Packed:
    """Hand every chunk of a member to the packer; the figures are complete once drained."""
    feeder = Feeder(packer, packed or Packed(member), sink)
    for chunk in member.chunks:
        feeder.feed(chunk)
    return feeder.finish()


def _joined(pieces: list[Chunk]) -> Chunk:
    """One piece as it is (a file's read buffer, given back once packed), several joined."""
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)


@dataclass
class ZipOut:
    """A ZIP64 file being written (on the packing thread): members, then the directory."""

    out: IO[bytes]
    offset: int = 0
    flushed: int = 0  # bytes whose writeback has been started
    digest: Any = field(default_factory=hashlib.sha256)
    directory: list[bytes] = field(default_factory=list)
    _open: tuple[Packed, bytes, int, int, tuple[int, int, int] | None] | None = None

    def write(self, data: Chunk) -> None:
        """Write bytes to the file, hashing them for the whole archive's SHA-256."""
        self.out.write(data)
        self.digest.update(data)
        self.offset += len(data)
        if self.offset - self.flushed >= WRITEBACK:
            self._start_writeback()

    def _start_writeback(self) -> None:
        """Start writing what is written so far to the disk, so the final fsync has little left.

        On Linux, DONTNEED starts the writeback of a range's dirty pages without waiting for
        it (PostgreSQL's pg_flush_data falls back to it where sync_file_range is missing).
        """
        self.out.flush()
        os.posix_fadvise(
            self.out.fileno(), self.flushed, self.offset - self.flushed, os.POSIX_FADV_DONTNEED
        )
        self.flushed = self.offset

    def begin(self, packed: Packed) -> None:
        """Write a local header, with CRC and sizes when known (else a descriptor follows)."""
        member, name = packed.member, packed.member.name.encode()
        figures: tuple[int, int, int] | None = None  # CRC-32, size, packed size
        if packed.spool is not None:
            figures = (packed.crc32, packed.size, packed.packed)
        elif member.stored is not None:
            figures = (member.stored[1], member.stored[0], member.stored[0])
        flags = _UTF8 | (0 if figures else _DESCRIBED_AFTER)
        crc, *sizes = figures or (0, 0, 0)
        extra = _LOCAL_64.pack(b"\x01\x00", 16, *sizes) + _unix_time(member.modified)
        head = (b"PK\x03\x04", 45, flags, packed.method, _dos_time(member.modified), crc)
        self._open = (packed, name, flags, self.offset, figures)
        self.write(_LOCAL.pack(*head, _FULL32, _FULL32, len(name), len(extra)) + name + extra)

    def end(self) -> None:
        """Check the figures the header promised, or write them after the bytes; keep the entry."""
        assert self._open is not None
        packed, name, flags, start, figures = self._open
        if figures is None:
            self.write(_DESCRIPTOR.pack(b"PK\x07\x08", packed.crc32, packed.packed, packed.size))
        elif figures != (packed.crc32, packed.size, packed.packed):
            changed = f"A stored file changed while exporting: {packed.member.name}"
            raise ArchiveError("file_changed", changed)
        self._directory(packed, name, flags, start)

    def copy(self, spool: IO[bytes]) -> None:
        """Append a spool of packed bytes."""
        spool.seek(0)
        while chunk := spool.read(1024 * 1024):
            self.write(chunk)

    def _directory(self, packed: Packed, name: bytes, flags: int, start: int) -> None:
        """Keep a member's central directory entry for the end of the file."""
        member = packed.member
        extra = _CENTRAL_64.pack(b"\x01\x00", 24, packed.size, packed.packed, start)
        extra += _unix_time(member.modified)
        fields = (45, 3, 45, 0, flags, packed.method, _dos_time(member.modified), packed.crc32)
        entry = _CENTRAL.pack(
            b"PK\x01\x02", *fields, _FULL32, _FULL32, len(name), len(extra), 0, 0, 0,
            MODE << 16, _FULL32,
        )  # fmt: skip
        self.directory.append(entry + name + extra)

    def close(self) -> None:
        """Write the central directory and the ZIP64 end records."""
        start = self.offset
        for entry in self.directory:
            self.write(entry)
        size, count, end = self.offset - start, len(self.directory), self.offset
        self.write(_END_64.pack(b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, size, start))
        self.write(_LOCATOR.pack(b"PK\x06\x07", 0, end, 1))
        self.write(_END.pack(b"PK\x05\x06", 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, _FULL32, _FULL32, 0))


def _dos_time(moment: datetime) -> bytes:
    """The MS-DOS time and date fields of a moment."""
    time = moment.second // 2 | moment.minute << 5 | moment.hour << 11
    return struct.pack("<HH", time, moment.day | moment.month << 5 | (moment.year - 1980) << 9)


def _unix_time(moment: datetime) -> bytes:
    """The extended timestamp extra field (modification time)."""
    return _UNIX_TIME.pack(b"UT", 5, b"\x01", int(moment.timestamp()))
