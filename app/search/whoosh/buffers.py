"""Stop whoosh3 copying every index file it reads into memory.

whoosh3 3.54.0's `BufferFile` (the reader over a slice of a memory-mapped segment) wraps its
buffer in `io.BytesIO`, which copies it: each searcher held a private copy of every segment's
postings and term index (650 MB per searcher at 100k articles, measured with tracemalloc; Whoosh
2.7 read the mapped memory in place). `MappedFile` reads the slice in place with the same
file interface, and `install()` makes BufferFile use it. Imported by the Whoosh backend only.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Iterator
from typing import Any

from whoosh.filedb import structfile


class MappedFile:
    """A read-only, seekable file over a memoryview (no copy: reads return small bytes)."""

    def __init__(self, view: Any) -> None:
        # A memoryview, or a PreadBuffer (app.search.whoosh.segments): anything that slices.
        self._view: Any = view
        self._pos = 0

    def _buf(self) -> Any:
        if self._view is None:
            raise ValueError("I/O operation on closed file")
        return self._view

    def read(self, size: int | None = -1) -> bytes:
        view = self._buf()
        start = self._pos
        end = len(view) if size is None or size < 0 else min(len(view), start + size)
        self._pos = max(start, end)
        return bytes(view[start:end])

    def readline(self, size: int | None = -1) -> bytes:
        view = self._buf()
        start = self._pos
        limit = len(view) if size is None or size < 0 else min(len(view), start + size)
        # Lines only appear in rare text pickles: read ahead a chunk at a time.
        line = b""
        at = start
        while at < limit:
            chunk = bytes(view[at : min(limit, at + 1024)])
            newline = chunk.find(b"\n")
            if newline >= 0:
                line += chunk[: newline + 1]
                break
            line += chunk
            at += len(chunk)
        self._pos = start + len(line)
        return line

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = len(self._buf()) + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if pos < 0:
            raise ValueError("negative seek position")
        self._pos = pos
        return pos

    def tell(self) -> int:
        return self._pos

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def close(self) -> None:
        self._view = None

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line


def _init(
    self: Any, buf: bytes | bytearray | memoryview, name: str | None = None, onclose: Any = None
) -> None:
    self._buf = buf
    self._name = name
    plain = isinstance(buf, bytes | bytearray)
    self.file = MappedFile(memoryview(buf) if plain else buf)
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


# Posting block headers and term infos are pickles of a few dozen bytes.
PICKLE_CHUNK = 1024


def _read_pickle(self: Any) -> Any:
    """StructFile.read_pickle, fast over a mapped file: `pickle.load` on a Python file object
    calls its read() once per opcode (a tenth of a one-word search's time, profiled); loading
    from a copy of the next kilobyte makes that one call. A longer pickle is read as before."""
    f = self.file
    if isinstance(f, MappedFile):
        start = f.tell()
        chunk = io.BytesIO(f._buf()[start : start + PICKLE_CHUNK])
        try:
            value = pickle.load(chunk)
        except Exception:  # cut short by the chunk's end (or damaged: reported below)
            pass
        else:
            f.seek(start + chunk.tell())
            return value
    return pickle.load(f)


def install() -> None:
    """Make whoosh's BufferFile read its buffer in place (idempotent)."""
    structfile.BufferFile.__init__ = _init  # type: ignore[method-assign]
    structfile.BufferFile.read_pickle = _read_pickle  # type: ignore[method-assign]
