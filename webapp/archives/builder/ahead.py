"""A member packed ahead, beside another: a section's CSV deflates while its JSON is written."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from webapp.archives.builder.parts import SPOOL_IN_MEMORY
from webapp.archives.builder.zipper import Feeder, Member, Packed, Packer


class PackedAhead:
    """Bytes fed while an earlier member is produced, packed on the same packer into a spool."""

    def __init__(self, packer: Packer, name: str, modified: datetime, spool_dir: Path) -> None:
        """Start an empty member whose packed bytes collect in a spool beside the part."""
        self._packer = packer
        self.member = Member(name, modified, (), ready=self._ready)
        self._spool = tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY, dir=str(spool_dir))
        self._packed = Packed(self.member, spool=self._spool)
        self._feeder = Feeder(packer, self._packed, self._spool.write)

    def __enter__(self) -> PackedAhead:
        """Hold the spool while the section is written."""
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        """After a failure, close the spool (the packer that would have copied it has stopped)."""
        if kind is not None:
            self._spool.close()

    def feed(self, data: bytes) -> None:
        """Take the member's next bytes."""
        self._feeder.feed(data)

    def _ready(self) -> Packed:
        """End the member and wait until every byte of it is in the spool."""
        packed = self._feeder.finish()
        self._packer.drain()
        return packed
