"""Roll an archive's members over into several ZIPs, none above the part size, none split."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol

from webapp.archives.builder import manifest
from webapp.archives.builder.errors import ArchiveError
from webapp.archives.builder.zipper import Member, Packed, Packer, ZipOut, pack

# Bytes a member costs beyond its data (local header, ZIP64 extras, data descriptor, central
# directory entry), plus its name twice; and the end records of a ZIP64 file. Generous bounds.
MEMBER_OVERHEAD = 256
# A packed member up to this size is spooled in memory, beyond it in a temp file.
SPOOL_IN_MEMORY = 1024 * 1024
END_OVERHEAD = 1024


class Plan(Protocol):
    """What the writer's plan offers the parts layer: members in order and their manifest."""

    size_hints: dict[str, int]
    generated_at: datetime

    def members(self, packer: Packer) -> Generator[Member, None, None]:
        """Yield the body: README, schemas, data and files (some packed ahead on `packer`)."""
        ...

    def closing(self) -> Member:
        """Describe index.html, made once every record has passed."""
        ...

    def readme(self) -> Member:
        """Describe README.txt again, for the index part."""
        ...

    def head(self) -> dict[str, Any]:
        """Return the manifest's fields other than its list of files."""
        ...


@dataclass(frozen=True)
class Part:
    """One written ZIP of an archive; index 0 is the root (the whole archive or the index)."""

    index: int
    path: Path
    size: int
    sha256: str


def deflate_bound(size: int) -> int:
    """Bound what deflating `size` bytes can produce (zlib's bound, with room for ISA-L)."""
    return size + (size >> 8) + 1024


def part_path(target: Path, index: int) -> Path:
    """Name part `index` beside the root file `target`."""
    return target if index == 0 else target.with_name(f"{target.stem}.part{index}.zip")


def partial_path(target: Path) -> Path:
    """Name a temp file beside the target, so os.replace never crosses filesystems."""
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")


@dataclass
class _Pending:
    """A member taken from the plan and not yet placed: its bytes and a bound on its cost."""

    member: Member
    cost: int
    packed: Packed | None = None  # its packed bytes, when it was spooled to learn its size
    filed: Callable[[Packed], None] | None = None  # files its manifest line, once placed

    @property
    def name(self) -> str:
        """The member's path in the ZIP."""
        return self.member.name


@dataclass
class _Budget:
    """What the part being written has used and must still hold: its manifest and end."""

    limit: int | None
    head_bytes: int
    used: int = 0  # packed bytes of the members placed (a bound for those not yet packed)
    overhead: int = END_OVERHEAD
    manifest_bytes: int = 0
    members: int = 0

    def fits(self, pending: _Pending, extra_manifest: int = 0) -> bool:
        """Tell whether the member still fits; an empty part takes anything (nothing splits)."""
        if self.limit is None or self.members == 0:
            return True
        manifest_cost = deflate_bound(
            self.head_bytes + self.manifest_bytes + _entry_bound(pending.name) + extra_manifest
        )
        cost = pending.cost + manifest_cost + MEMBER_OVERHEAD
        return self.used + self.overhead + cost <= self.limit

    def place(self, pending: _Pending) -> None:
        """Count a member placed in this part, its manifest line at its longest."""
        self.members += 1
        self.overhead += MEMBER_OVERHEAD + 2 * len(pending.name.encode())
        self.used += pending.cost
        self.manifest_bytes += _entry_bound(pending.name) + 8


def _entry_bound(name: str) -> int:
    """Bound a manifest line's length for a member of this name."""
    return len(manifest.entry(name, 10**19, "0" * 64)) + 8


class PartWriter:
    """Writes a plan's members as one ZIP, or as numbered parts and an index part."""

    def __init__(self, plan: Plan, target: Path, part_size: int | None) -> None:
        """Prepare to write `target` (the root) and, if needed, parts beside it."""
        self.plan = plan
        self.target = target
        self.part_size = part_size
        self.parts: list[Part] = []
        self._carry: _Pending | None = None
        self._finished = False
        # Every member's bytes taken from the plan: closed at the end, so that a failure
        # never leaves a section's cursor open on the build's connection.
        self._taken: list[Iterable[bytes]] = []
        self._packer = Packer()

    def write(self) -> list[Part]:
        """Write every part; on any error remove what this build wrote, then re-raise."""
        body = self.plan.members(self._packer)
        try:
            try:
                while not self._finished:
                    self._write_part(len(self.parts) + 1, body)
            finally:
                # Close every section's cursor while the connection is still open.
                for chunks in self._taken:
                    close = getattr(chunks, "close", None)
                    if close is not None:
                        close()
                body.close()
            if len(self.parts) > 1 or self.parts[0].index != 0:
                self._write_index()
        except BaseException:
            self._packer.close()  # before any file it writes to is closed or removed
            for part in self.parts:
                part.path.unlink(missing_ok=True)
            raise
        self._packer.close()
        return sorted(self.parts, key=lambda part: part.index)

    def _write_part(self, index: int, body: Generator[Member, None, None]) -> None:
        """Fill one part from the body; the last one may become the whole archive."""
        budget = _Budget(self.part_size, 0)
        with tempfile.TemporaryFile(dir=self.target.parent) as entries:
            chosen: list[int] = []
            members = self._fill(index, body, budget, entries, chosen)
            self._zip(members, lambda: chosen[0])

    def _fill(
        self,
        index: int,
        body: Iterator[Member],
        budget: _Budget,
        entries: IO[bytes],
        chosen: list[int],
    ) -> Iterator[_Pending]:
        """Yield members while they fit, then this part's manifest."""
        while True:
            pending = self._carry or self._next(body)
            self._carry = None
            if pending is None:
                break
            if not budget.head_bytes:
                budget.head_bytes = len(manifest.head_bytes(self.plan.head())) + 512
            if not budget.fits(pending):
                self._carry = pending
                break
            yield self._placed(pending, budget, entries)
        if self._carry is None:
            # The body is done: what remains is index.html, then the manifest.
            closing = self._spooled(self._take(self.plan.closing()))
            self._finished = True
            if index == 1 and budget.fits(closing, extra_manifest=512):
                # Everything fits in one ZIP: it is the archive itself, as in format 1.
                yield self._placed(closing, budget, entries)
                chosen.append(0)
                listing = manifest.member(self.plan.head(), entries, self.plan.generated_at)
                yield _Pending(listing, 0)
                return
            self._carry = closing
        chosen.append(index)
        head = {**self.plan.head(), "part": {"index": index}}
        yield _Pending(manifest.member(head, entries, self.plan.generated_at), 0)

    def _next(self, body: Iterator[Member]) -> _Pending | None:
        """Take the next body member, spooled when its size is not known beforehand."""
        member = next(body, None)
        if member is None:
            return None
        self._take(member)
        if member.ready is not None:
            packed = member.ready()
            return _Pending(member, packed.packed, packed)
        hint = self.plan.size_hints.get(member.name)
        if hint is None:
            return self._spooled(member)
        return _Pending(member, deflate_bound(hint) if member.stored is None else hint)

    def _take(self, member: Member) -> Member:
        """Note a member taken from the plan, so its bytes' source is closed at the end."""
        self._taken.append(member.chunks)
        return member

    def _spooled(self, member: Member) -> _Pending:
        """Learn a member's packed size by packing it into a temp file first."""
        if self.part_size is None:
            return _Pending(member, 0)
        spool = tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY, dir=str(self.target.parent))
        try:
            packed = pack(self._packer, member, spool.write)
            self._packer.drain()
        except BaseException:
            self._packer.close()
            spool.close()
            raise
        packed.spool = spool
        return _Pending(member, packed.packed, packed)

    def _placed(self, pending: _Pending, budget: _Budget, entries: IO[bytes]) -> _Pending:
        """Count a member in this part; its manifest line is filed once its bytes are packed."""
        budget.place(pending)
        pending.filed = lambda packed: self._filed(packed, entries)
        return pending

    def _filed(self, packed: Packed, entries: IO[bytes]) -> None:
        """Write a member's line into this part's manifest (on the packing thread)."""
        line = manifest.entry(packed.member.name, packed.size, packed.sha256())
        entries.write(line + b"\n")

    def _zip(self, members: Iterator[_Pending], index: Callable[[], int]) -> None:
        """Write members into a temp file, fsync and check it, then move it into place."""
        partial = partial_path(self.target)
        try:
            count = 0
            with open(partial, "xb") as out:
                zip_out = ZipOut(out)
                try:
                    for pending in members:
                        count += 1
                        self._write_member(zip_out, pending)
                    self._packer.submit(zip_out.close)
                    self._packer.drain()
                except BaseException:
                    self._packer.close()  # it may be writing to `out`
                    raise
                out.flush()
                os.fsync(out.fileno())
            manifest.check(partial, count)
            final = part_path(self.target, index())
            os.replace(partial, final)
            _fsync_dir(final.parent)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        self.parts.append(Part(index(), final, zip_out.offset, zip_out.digest.hexdigest()))

    def _write_member(self, zip_out: ZipOut, pending: _Pending) -> None:
        """Queue a member's header, bytes and end on the packing thread."""
        packed = pending.packed
        if packed is not None:
            spool = packed.spool
            assert spool is not None
            self._packer.submit(zip_out.begin, packed)
            self._packer.submit(zip_out.copy, spool, size=packed.packed)
            self._packer.submit(spool.close)
            self._packer.submit(zip_out.end)
        else:
            packed = Packed(pending.member)
            self._packer.submit(zip_out.begin, packed)
            if pending.filed is None:
                self._packer.drain()  # the manifest: every line before it is written
            pack(self._packer, pending.member, zip_out.write, packed)
            self._packer.submit(zip_out.end)
        if pending.filed is not None:
            # After the member's last bytes, in order: the reader never waits for the packer.
            self._packer.submit(pending.filed, packed)

    def _write_index(self) -> None:
        """Write the small index part: README, index.html and the manifest of every part."""
        closing = self._carry
        if closing is None:
            raise ArchiveError("archive_invalid", "The archive's index page was not written.")
        self._carry = None
        listing = [manifest.part_entry(p.index, p.path.name, p.size, p.sha256) for p in self.parts]
        budget = _Budget(None, 0)
        with tempfile.TemporaryFile(dir=self.target.parent) as entries:

            def members() -> Iterator[_Pending]:
                """The index part's members, its manifest last."""
                yield self._placed(_Pending(self._take(self.plan.readme()), 0), budget, entries)
                yield self._placed(closing, budget, entries)
                head = {**self.plan.head(), "parts": listing}
                yield _Pending(manifest.member(head, entries, self.plan.generated_at), 0)

            self._zip(members(), lambda: 0)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable, not only the file's bytes."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_parts(plan: Plan, target: Path, part_size: int | None) -> list[Part]:
    """Write the plan as one ZIP at target, or as parts beside it with an index part there."""
    return PartWriter(plan, target, part_size).write()
