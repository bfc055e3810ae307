"""Segment merges that never hold the index's write lock for long (issue 17, C14).

Whoosh's default merge policy (MERGE_SMALL) runs inside a commit, under the write lock. After
parallel import batches have left a dozen segments of ~500 documents, the next commit, often a
single API write, merged all of them: 6,000 documents re-read posting by posting in Python
(`add_reader` -> `add_postings_to_pool`, cProfile), 208 and 227 s in `bench.merge_holds`, while
every writer waited. So:

- every commit uses `bounded_merge`: it folds only small segments (those of single writes and
  small batches), at most SMALL_MERGE_DOCS documents, so a commit costs about its own size;
- bigger segments are merged by `merge_segments`, outside the write lock: the merged segment is
  written from the committed segments into a folder of its own while writers go on, then
  swapped in by a commit that only renames one file and writes the table of contents.
  Documents deleted (or replaced) meanwhile are deleted from the merged segment at the swap;
  if a segment it read is gone by then (merged by another process), the merge is dropped.

Imported by the Whoosh backend only.
"""

from __future__ import annotations

import logging
import math
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import SegmentReader

from app.search.whoosh.bulkwriter import BulkSegmentWriter

log = logging.getLogger(__name__)

# A commit folds segments of at most SMALL_SEGMENT_DOCS documents each, once there are
# SMALL_MERGE_MIN of them, and at most SMALL_MERGE_DOCS documents in all: its merge then costs
# well under a second, whatever the size of the index.
SMALL_SEGMENT_DOCS = 100
SMALL_MERGE_MIN = 8
SMALL_MERGE_DOCS = 500
# The background merge: segments are grouped in tiers of sizes within a factor TIER_FACTOR;
# TIER_WIDTH segments of one tier become one segment of the next. Each document is merged
# about log_TIER_FACTOR(index size) times, and at most (TIER_WIDTH - 1) segments stay per tier.
TIER_FACTOR = 10
TIER_WIDTH = 4
MERGE_FOLDER = ".merging"  # inside the index folder: Whoosh's file clean-up skips dot names


def _docs(segment: Any) -> int:
    return int(segment.doc_count_all())


def bounded_merge(writer: Any, segments: list[Any]) -> list[Any]:
    """The merge policy of every commit: fold the smallest segments into this commit's new
    segment, never one above SMALL_SEGMENT_DOCS and never more than SMALL_MERGE_DOCS in all."""
    chosen: list[Any] = []
    total = 0
    for segment in sorted(segments, key=_docs):
        size = _docs(segment)
        if size > SMALL_SEGMENT_DOCS or total + size > SMALL_MERGE_DOCS:
            break
        chosen.append(segment)
        total += size
    if len(chosen) < SMALL_MERGE_MIN:
        return segments
    for segment in chosen:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        try:
            writer.add_reader(reader)
        finally:
            reader.close()
    merged = {s.segment_id() for s in chosen}
    return [s for s in segments if s.segment_id() not in merged]


def tier_of(segment: Any) -> int:
    live = _docs(segment) - int(segment.deleted_count())
    return int(math.log(max(1, live), TIER_FACTOR))


def plan_merge(segments: list[Any]) -> list[Any]:
    """The segments the background merge should merge next (none: nothing to do): the
    smallest tier holding TIER_WIDTH segments or more. Small segments are left to the commits
    (bounded_merge), so the two never merge the same segment."""
    tiers: dict[int, list[Any]] = {}
    for segment in segments:
        if _docs(segment) <= SMALL_SEGMENT_DOCS:
            continue
        tiers.setdefault(tier_of(segment), []).append(segment)
    for tier in sorted(tiers):
        if len(tiers[tier]) >= TIER_WIDTH:
            return sorted(tiers[tier], key=_docs)
    return []


def merge_due(ix: Any) -> bool:
    """Whether the background merge has work (cheap: reads the table of contents)."""
    return bool(plan_merge(_read_toc(ix).segments))


class _Snapshot:
    """What a SegmentWriter asks of an index, with another storage: the merged segment is
    written into a folder of its own, where no commit's clean-up deletes it half-written."""

    def __init__(self, toc: Any, storage: Any, indexname: str) -> None:
        self._toc = toc
        self.storage = storage
        self.indexname = indexname

    def _read_toc(self) -> Any:
        return self._toc


@dataclass
class _Source:
    segment_id: str
    deleted: frozenset[int]  # deleted when the merge read it
    docmap: dict[int, int] | None  # old -> new document number; None: offset by `base`
    base: int

    def new_number(self, docnum: int) -> int:
        return self.docmap[docnum] if self.docmap is not None else self.base + docnum


def _write_merged(ix: Any, toc: Any, chosen: list[Any], folder: Path) -> tuple[Any, list[_Source]]:
    """Write one segment holding the live documents of `chosen` into `folder` (no lock)."""
    writer = BulkSegmentWriter(_Snapshot(toc, FileStorage(str(folder)), ix.indexname), _lk=False)
    sources: list[_Source] = []
    try:
        for segment in chosen:
            reader = SegmentReader(ix.storage, toc.schema, segment)
            try:
                base = writer.docnum
                names = {n for n in reader.indexed_field_names() if n in toc.schema}
                # add_reader, keeping the document map for deletions made while we merge.
                docmap = writer.write_per_doc(set(toc.schema.names()) | names, reader)
                writer.add_postings_to_pool(reader, base, docmap)
                writer._added = True
            finally:
                reader.close()
            sources.append(
                _Source(segment.segment_id(), frozenset(segment.deleted_docs()), docmap, base)
            )
        merged = writer._finalize_segment()
    finally:
        writer._tempstorage.destroy()
        writer.is_closed = True
    return merged, sources


def _swap_in(
    merged: Any, sources: list[_Source], folder: Path, index_path: Path, stale: threading.Event
) -> Callable[[Any, list[Any]], list[Any]]:
    """A merge policy for a commit under the write lock: replace the sources by `merged`, or
    set `stale` if one of them is gone."""

    def policy(writer: Any, segments: list[Any]) -> list[Any]:
        current = {s.segment_id(): s for s in segments}
        if any(src.segment_id not in current for src in sources):
            # Commit the segments as they are (raising here would leave the writer's files
            # open); the caller then drops the merge.
            stale.set()
            return segments
        for src in sources:
            for docnum in set(current[src.segment_id].deleted_docs()) - src.deleted:
                merged.delete_document(src.new_number(docnum))
        for path in folder.iterdir():  # the compound segment file: a rename, no copy
            if path.is_file():
                path.replace(index_path / path.name)
        gone = {src.segment_id for src in sources}
        return [s for s in segments if s.segment_id() not in gone] + [merged]

    return policy


def _read_toc(ix: Any, attempts: int = 5) -> Any:
    """The latest table of contents; a commit replacing it meanwhile makes a retry succeed."""
    for attempt in range(attempts):
        try:
            return ix._read_toc()
        except FileNotFoundError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.02 * (attempt + 1))
    return None


def merge_once(ix: Any, index_path: Path, *, timeout: float) -> int:
    """One background merge, if one is due: segments merged away (0: nothing to do)."""
    toc = _read_toc(ix)
    chosen = plan_merge(toc.segments)
    if not chosen:
        return 0
    folder = index_path / MERGE_FOLDER / uuid.uuid4().hex
    folder.mkdir(parents=True)
    try:
        merged, sources = _write_merged(ix, toc, chosen, folder)
        stale = threading.Event()
        writer = ix.writer(timeout=timeout, delay=0.05)
        writer.commit(mergetype=_swap_in(merged, sources, folder, index_path, stale))
        if stale.is_set():
            return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return len(chosen)


_local = threading.Lock()  # one merge at a time in this process (the file lock: across them)


def merge_segments(
    ix: Any,
    index_path: Path,
    *,
    timeout: float,
    after_commit: Callable[[], None],
    stop: threading.Event | None = None,
) -> int:
    """Merge until no tier is full (or `stop` is set). Skips at once when another thread or
    process is merging. Returns the segments merged away."""
    if not _local.acquire(blocking=False):
        return 0
    try:
        lock = FileLock(str(index_path / f"{MERGE_FOLDER}.lock"))
        lock.acquire(timeout=0)
    except Timeout:
        _local.release()
        return 0
    done = 0
    try:
        shutil.rmtree(index_path / MERGE_FOLDER, ignore_errors=True)  # a killed merge's files
        while not (stop is not None and stop.is_set()):
            merged = merge_once(ix, index_path, timeout=timeout)
            if not merged:
                break
            after_commit()
            done += merged
    finally:
        lock.release()
        _local.release()
    if done:
        log.info("merged %d index segments", done)
    return done
