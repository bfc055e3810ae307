"""Checksums of the index files, so that damage is found and named instead of failing searches
with a decoding error (issue 17, A2).

Whoosh never rewrites a committed file: a commit writes new segment files (`*.seg`) and a new
table of contents (`_NAME_GEN.toc`), then deletes what it no longer needs. After each commit the
writer records the size and CRC-32 of every file of the new generation not yet recorded, in a
sidecar manifest (`checksums.json`, replaced atomically); the reader verifies a generation's
files against it when it opens them, when a search fails unexpectedly, for `/api/v1/health`
and for `newsarchive check`. A file whose size and modification time are unchanged since this
process last verified it is not read again, so verifying an unchanged index costs one `stat`
per file.
"""

from __future__ import annotations

import json
import os
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh.index import TOC

MANIFEST = "checksums.json"
CHUNK = 1 << 20


def crc32_of(path: Path) -> int:
    crc = 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc


def generation_files(storage: Any, indexname: str) -> list[str]:
    """The files of the latest committed generation: its table of contents and its segments."""
    toc = TOC.read(storage, indexname)
    names = [TOC._filename(indexname, toc.generation)]
    for segment in toc.segments:
        if segment.is_compound():
            names.append(segment.make_filename(segment.COMPOUND_EXT))
        else:
            names.extend(segment.list_files(storage))
    return names


def _load(folder: Path) -> dict[str, dict[str, int]]:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ValueError(f"{MANIFEST} cannot be read: {exc}") from exc
    return {str(k): dict(v) for k, v in data.get("files", {}).items()}


def record(folder: Path, names: list[str]) -> None:
    """Write the manifest for these files (called by the writer, after its commit)."""
    try:
        known = _load(folder)
    except ValueError:
        known = {}  # a damaged manifest is replaced by a fresh one
    files: dict[str, dict[str, int]] = {}
    for name in names:
        path = folder / name
        size = path.stat().st_size
        entry = known.get(name)
        if entry is None or entry.get("size") != size:
            entry = {"size": size, "crc32": crc32_of(path)}
        files[name] = entry
    tmp = folder / f".{MANIFEST}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps({"version": 1, "files": files}, indent=0), encoding="utf-8")
    os.replace(tmp, folder / MANIFEST)


@dataclass(frozen=True)
class _Seen:
    size: int
    mtime_ns: int
    ino: int


class Verifier:
    """Verifies generations against the manifest, remembering what this process has checked."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._verified: dict[str, _Seen] = {}
        self._lock = threading.Lock()
        self._manifest_key: tuple[int, int] | None = None
        self._manifest_files: dict[str, dict[str, int]] = {}

    def _manifest(self) -> dict[str, dict[str, int]]:
        """The manifest, read again only when it changed (searches check it every time)."""
        try:
            st = (self.folder / MANIFEST).stat()
            key: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            key = None
        with self._lock:
            if key is not None and self._manifest_key == key:
                return self._manifest_files
        files = _load(self.folder)
        with self._lock:
            self._manifest_key, self._manifest_files = key, files
        return files

    def forget(self) -> None:
        with self._lock:
            self._verified.clear()

    def problems(self, names: list[str], *, thorough: bool = False) -> list[str]:
        """What is wrong with these files, one line each (empty: they are as committed).
        Files not in the manifest (an index written before checksums were kept) are not
        checked; `thorough` reads every file again even if it looks unchanged."""
        try:
            manifest = self._manifest()
        except ValueError as exc:
            return [str(exc)]
        found: list[str] = []
        for name in names:
            path = self.folder / name
            try:
                st = path.stat()
            except FileNotFoundError:
                found.append(f"{name} is missing")
                continue
            seen = _Seen(st.st_size, st.st_mtime_ns, st.st_ino)
            expected = manifest.get(name)
            if expected is None:
                continue
            if st.st_size != expected.get("size"):
                found.append(f"{name} has {st.st_size} bytes, {expected.get('size')} committed")
                continue
            with self._lock:
                if not thorough and self._verified.get(name) == seen:
                    continue
            if crc32_of(path) != expected.get("crc32"):
                found.append(f"{name} does not match its checksum")
                continue
            with self._lock:
                self._verified[name] = seen
        return found
