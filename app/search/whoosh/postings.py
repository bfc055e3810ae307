"""A segment's posting lists decoded into NumPy arrays, and a bounded cache of them.

Why: Whoosh hands postings out one at a time through its matchers (several Python calls per
posting); a common word at 100k articles has tens of thousands of them per field. Here each
posting block is unpickled once (C) and its ids and term frequencies become arrays, so scoring
is arithmetic over whole arrays (app/search/whoosh/scoring.py). A segment's postings never
change once written (deletions are kept apart, in the segment's deleted set), so the decoded
lists of frequent terms are kept per segment id, within a byte budget.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from itertools import accumulate, chain
from pickle import loads
from typing import Any

import numpy as np
from numpy.typing import NDArray
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher

# Decoded postings kept across searches (ids 4 bytes + tf 8 bytes a posting, plus the raw
# position bytes of phrase fields): about 20 common words' lists at 300k articles.
CACHE_BYTES = 96 * 1024 * 1024
# Lists shorter than a block (inline or one block) are decoded again each time: cheap.
CACHE_MIN_POSTINGS = 128

IntArray = NDArray[np.integer[Any]]  # document numbers (int64, or uint32 when kept)
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Postings:
    """One term's postings in one segment, deleted documents included."""

    ids: IntArray  # ascending segment document numbers
    tfs: FloatArray  # term frequency (Whoosh's weight) of each
    # Positions, when asked for: posting i's are spots[offsets[i]:offsets[i + 1]].
    spots: NDArray[np.int32] | None
    offsets: IntArray | None

    def nbytes(self) -> int:
        extra = 0 if self.spots is None or self.offsets is None else self.spots.nbytes
        return int(self.ids.nbytes + self.tfs.nbytes + extra + 8 * len(self.ids))


_EMPTY = Postings(
    np.zeros(0, np.int64), np.zeros(0, np.float64), np.zeros(0, np.int32), np.zeros(1, np.int64)
)


def read_postings(reader: Any, field: str, text: str, values: bool) -> Postings:
    """Decode every posting of `text` in `field` of one segment reader."""
    if (field, text) not in reader:
        return _EMPTY
    matcher = reader.postings(field, text)
    if isinstance(matcher, FilterMatcher):  # the reader's wrapper that skips deleted documents
        if not matcher._exclude:
            raise TypeError("unexpected inclusive filter on postings")
        matcher = matcher.child
    if not isinstance(matcher, W3LeafMatcher):  # short lists are stored inline
        return _inline(matcher, values)
    id_blocks: list[Any] = []
    tf_blocks: list[Any] = []
    value_blocks: list[Any] = []
    starts = [0]
    matcher.reset()
    while matcher.is_active():
        matcher._read_data()
        data: Any = matcher._data
        n = int(matcher._blocklength or 0)
        id_blocks.append(data[0])
        weights = data[1]
        if weights is None:
            weights = (1.0,) * n
        elif isinstance(weights, float):
            weights = (float(np.float32(weights)),) * n  # Whoosh reads it as a float32
        tf_blocks.append(weights)
        if values:
            value_blocks.append(data[2])
        starts.append(starts[-1] + n)
        matcher._next_block()
    total = starts[-1]
    raw = np.fromiter(chain.from_iterable(id_blocks), np.int64, total)
    if not matcher._byteids:
        # Ids are delta-coded within each block, the first one absolute: a running sum that
        # starts again at each block.
        sums = np.cumsum(raw)
        before = np.concatenate(([0], sums[np.asarray(starts[1:-1], np.int64) - 1]))
        raw = sums - np.repeat(before, np.diff(starts))
    tfs = np.fromiter(chain.from_iterable(tf_blocks), np.float64, total)
    if not values:
        return Postings(raw, tfs, None, None)
    return Postings(raw, tfs, *_decode(tuple(chain.from_iterable(value_blocks))))


def _inline(matcher: Any, values: bool) -> Postings:
    ids, weights, vals = [], [], []
    matcher.reset()  # the deletions filter may have moved it past deleted documents
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        if values:
            vals.append(matcher.value())
        matcher.next()
    spots, offsets = _decode(tuple(vals)) if values else (None, None)
    return Postings(np.asarray(ids, np.int64), np.asarray(weights, np.float64), spots, offsets)


def _decode(values: tuple[bytes, ...]) -> tuple[NDArray[np.int32], IntArray]:
    """Every posting's positions, flat, and where each posting's begin.

    Each value is whoosh.formats.Positions' encoding: a 4-byte count, then a protocol-2 pickle
    of the position deltas (`]q\\x00` and its items, the final "." stripped when stored). The
    lists are spliced into one pickle of a list of lists, unpickled in one call."""
    if all(v.startswith(b"\x80\x02]q\x00", 4) for v in values):
        body = b"".join(v[6:-1] if v[-1:] == b"." else v[6:] for v in values)
        lists: list[list[int]] = loads(b"\x80\x02(" + body + b"l.")
    else:  # another pickle layout: one at a time
        lists = [loads(v[4:] if v[-1:] == b"." else v[4:] + b".") for v in values]
    counts = np.fromiter(map(len, lists), np.int64, len(lists))
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    flat = np.fromiter(chain.from_iterable(lists), np.int64, int(offsets[-1]))
    # Deltas restart with each list: a running sum less the sum before the list began.
    sums = np.cumsum(flat)
    before = np.concatenate(([0], sums))[offsets[:-1]]
    return (sums - np.repeat(before, counts)).astype(np.int32), offsets


def positions(postings: Postings, rows: IntArray) -> tuple[IntArray, IntArray]:
    """(index into `rows`, position) of every position of the postings at `rows`."""
    if postings.spots is None or postings.offsets is None:
        raise ValueError("postings read without positions")
    starts = postings.offsets[rows]
    counts = postings.offsets[np.asarray(rows) + 1] - starts
    total = int(counts.sum())
    # Indexes into the flat positions: each row's run, from its start.
    run_start = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    at = np.arange(total, dtype=np.int64) - np.repeat(run_start - starts, counts)
    return np.repeat(np.arange(len(rows), dtype=np.int64), counts), postings.spots[at].astype(
        np.int64
    )


def positions_slow(value: bytes) -> list[int]:
    """One value's positions, as Whoosh decodes them (for tests)."""
    return list(accumulate(loads(value[4:] if value[-1:] == b"." else value[4:] + b".")))


class PostingCache:
    """Decoded posting lists by (segment id, field, term, with positions), least recently used
    dropped first beyond `max_bytes`."""

    def __init__(self, max_bytes: int = CACHE_BYTES, min_postings: int = CACHE_MIN_POSTINGS):
        self.max_bytes = max_bytes
        self.min_postings = min_postings
        self._items: OrderedDict[tuple[str, str, str, bool], tuple[Postings, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, segment: str, reader: Any, field: str, text: str, values: bool) -> Postings:
        key = (segment, field, text, values)
        with_values = (segment, field, text, True)
        with self._lock:
            # A list read with positions serves a read without them too.
            for known in (key, with_values):
                entry = self._items.get(known)
                if entry is not None:
                    self._items.move_to_end(known)
                    return entry[0]
        found = read_postings(reader, field, text, values)
        if len(found.ids) < self.min_postings or not self.max_bytes:
            return found
        size = found.nbytes()
        for shared in (found.ids, found.tfs, found.spots, found.offsets):
            if shared is not None:
                shared.flags.writeable = False  # served to every later search: never changed
        with self._lock:
            if key not in self._items and size <= self.max_bytes:
                self._items[key] = (found, size)
                self._bytes += size
                while self._bytes > self.max_bytes:
                    _, (_, dropped) = self._items.popitem(last=False)
                    self._bytes -= dropped
        return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0
