"""Read buffers the packer hands back, so reading stored files allocates nothing per read."""

from __future__ import annotations

from collections import deque


class Buffers:
    """A free list of equal buffers: the reader takes one, the packer gives it back once packed.

    A fresh 4 MiB bytes object per read made the kernel fault in and zero every page of it,
    as much CPU again as the read's own copy; a buffer used again is faulted in once. At most
    the packer's hand-overs in flight, plus the one being read, exist at a time.
    """

    def __init__(self, size: int) -> None:
        """Hand out buffers of `size` bytes."""
        self.size = size
        self._free: deque[bytearray] = deque()

    def take(self) -> memoryview:
        """A buffer to read into: one given back, or a new one."""
        return memoryview(self._free.pop() if self._free else bytearray(self.size))

    def give(self, view: memoryview) -> None:
        """Take back the buffer under `view` (called once its bytes are packed)."""
        buffer = view.obj
        view.release()
        assert isinstance(buffer, bytearray)
        self._free.append(buffer)
