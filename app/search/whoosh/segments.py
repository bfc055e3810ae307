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
import threading
from collections import OrderedDict
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
    raw = self._file.raw_file()
    if length <= WHOLE_MAX:
        return BufferFile(memoryview(_loaded(raw, offset, length, name)), name=name)
    buf: Any = PreadBuffer(raw, offset, length, name)
    return BufferFile(buf, name=name)  # read in place by app.search.whoosh.buffers


# Smaller files inside a segment (term dictionaries, per-document columns) are read whole when
# a searcher opens them: looking a word up takes dozens of reads of a few bytes each, which as
# one system call each made searches ~20% slower than the map (bench.segment_reads). Their bytes
# are shared by every searcher of the process (keyed by file and inode: committed files never
# change), up to LOADED_MAX bytes; the large posting files are read with pread.
WHOLE_MAX = 16 * 1024 * 1024
LOADED_MAX = 256 * 1024 * 1024
_cache: OrderedDict[tuple[str, int, int, int], bytes] = OrderedDict()
_cache_bytes = 0
_cache_lock = threading.Lock()


def _loaded(raw: BinaryIO, offset: int, length: int, name: str) -> bytes:
    global _cache_bytes
    key = (str(raw.name), os.fstat(raw.fileno()).st_ino, offset, length)
    with _cache_lock:
        data = _cache.get(key)
        if data is not None:
            _cache.move_to_end(key)
            return data
        new_file = not any(k[:2] == key[:2] for k in _cache)
    if new_file:
        # A file read for the first time means a commit or merge added a segment, and may
        # have removed others: their bytes would otherwise sit here until LOADED_MAX pushes
        # them out (a soak's writing workers grew by that much, issue 17 E21).
        forget_removed_files()
    data = bytes(PreadBuffer(raw, offset, length, name)[0:length])
    with _cache_lock:
        if key not in _cache:
            _cache[key] = data
            _cache_bytes += length
            while _cache_bytes > LOADED_MAX and len(_cache) > 1:
                _, dropped = _cache.popitem(last=False)
                _cache_bytes -= len(dropped)
    return data


def forget_removed_files() -> int:
    """Drop the cached bytes of segment files that are no longer in the index folder (merged
    away, or replaced: another inode). A searcher still holding such a file reads it again
    from its open descriptor. Returns the bytes dropped."""
    global _cache_bytes
    with _cache_lock:
        files = {key[:2] for key in _cache}
    gone = set()
    for path, inode in files:
        try:
            if os.stat(path).st_ino != inode:
                gone.add((path, inode))
        except FileNotFoundError:
            gone.add((path, inode))
    dropped = 0
    if gone:
        with _cache_lock:
            for key in [k for k in _cache if k[:2] in gone]:
                dropped += len(_cache.pop(key))
            _cache_bytes -= dropped
    return dropped


def cached_files() -> set[tuple[str, int]]:
    """The (path, inode) of every file with cached bytes (for tests and diagnostics)."""
    with _cache_lock:
        return {key[:2] for key in _cache}


def install() -> None:
    """Make whoosh3 read compound segments with pread instead of mmap (idempotent)."""
    codec_base.Segment.open_compound_file = _open_compound_file  # type: ignore[method-assign]
    compound.CompoundStorage.open_file = _open_file  # type: ignore[method-assign]
