"""Read Whoosh segment files with positioned reads (`os.pread`), never through a memory map.

whoosh3 maps each compound segment file (`*.seg`) into memory. When such a file shrinks under a
live process (a truncated or replaced file, a full disk, an operator's mistake), the next read of
a page past the new end raises SIGBUS and the kernel kills the whole server, with nothing logged
(issue 17, A1). A positioned read of a shortened file instead returns fewer bytes than asked,
which is reported as `IndexDamaged`: the search fails with a 503, the server lives on. The OS
page cache still keeps hot segments in memory and shares them between worker processes, as the
map did. Imported by the Whoosh backend only; `install()` patches whoosh3 once per process.
"""

from __future__ import annotations

import os
from typing import Any, BinaryIO

from whoosh.codec import base as codec_base
from whoosh.filedb import compound
from whoosh.filedb.structfile import BufferFile

from app.search.base import IndexDamaged


class PreadBuffer:
    """The bytes of one file inside a segment, read on demand: slicing reads them from disk.

    Used as a `BufferFile`'s buffer in place of a slice of the memory map: `len()`, slices
    (returning bytes) and single bytes are all BufferFile and app.search.whoosh.buffers ask of
    it. A read that comes back short means the file was cut: `IndexDamaged`."""

    __slots__ = ("_base", "_fd", "_file", "_length", "_name")

    def __init__(self, file: BinaryIO, base: int, length: int, name: str) -> None:
        self._file = file
        self._fd = file.fileno()
        self._base = base
        self._length = length
        self._name = name

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, key: slice | int) -> Any:
        if isinstance(key, int):
            at = key + self._length if key < 0 else key
            if not 0 <= at < self._length:
                raise IndexError("index out of range")
            return self._read(at, 1)[0]
        start, stop, step = key.indices(self._length)
        if step != 1:
            raise ValueError("segment buffers are read in contiguous slices only")
        return self._read(start, max(0, stop - start))

    def _read(self, start: int, size: int) -> bytes:
        if size == 0:
            return b""
        if self._file.closed:  # never read a descriptor number the OS may have reused
            raise ValueError("I/O operation on a closed segment file")
        data = os.pread(self._fd, size, self._base + start)
        if len(data) != size:
            raise IndexDamaged(
                f"index file {self._name} is shorter than its segment says (truncated?)"
            )
        return data


def _open_compound_file(self: Any, storage: Any) -> Any:
    dbfile = storage.open_file(self.make_filename(self.COMPOUND_EXT))
    return compound.CompoundStorage(dbfile, use_mmap=False)


_whoosh_open_file = compound.CompoundStorage.open_file


def _open_file(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    real = self._file is not None and getattr(self._file, "is_real", False)
    if self._source is not None or not real or self.is_closed:
        return _whoosh_open_file(self, name, *args, **kwargs)
    offset, length = self.range(name)
    buf: Any = PreadBuffer(self._file.raw_file(), offset, length, name)
    return BufferFile(buf, name=name)  # read in place by app.search.whoosh.buffers


def install() -> None:
    """Make whoosh3 read compound segments with pread instead of mmap (idempotent)."""
    codec_base.Segment.open_compound_file = _open_compound_file  # type: ignore[method-assign]
    compound.CompoundStorage.open_file = _open_file  # type: ignore[method-assign]
