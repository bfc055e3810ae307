"""Per-document values (date, source, people) held in memory for the Whoosh backend.

Why: Whoosh answers filters and facets from postings on every search. A date filter expands into
a numeric range walked term by term, and an author facet rebuilds a document-to-values map over
the whole index for each query (two thirds of a results page's time at 20k articles, measured
with pyinstrument). Lucene-style, we read those values once per index segment, which never
changes once written, and keep them while the segment lives. A searcher sees the concatenation
of its segments' values, so a new commit only costs reading the new (small) segment.

Deleted documents keep their values here; that is harmless, because every match set comes from
Whoosh's matchers, which skip deleted documents.
"""

from __future__ import annotations

import bisect
import heapq
import threading
from array import array
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from app.search.whoosh.scoring import field_lengths

# Segments whose values are kept: more than an index ever has at once (merges keep it small).
SEGMENT_CACHE_SIZE = 256


@dataclass(frozen=True)
class SegmentValues:
    """Values of one segment, indexed by the segment's own document numbers."""

    dates: array  # YYYYMMDD as an int, 0 when missing
    sources: list[str]  # case-folded source key, "" when none
    people: list[tuple[str, ...]]  # lower-cased person keys
    # Stored field lengths, by field, read when a query first scores that field (whoosh_scoring),
    # and BM25's length parts from them for the latest (k1, b, average length) of each field.
    lengths: dict[str, list[int]] = field(default_factory=dict)
    norms: dict[str, tuple[tuple[float, float, float], list[float]]] = field(default_factory=dict)


def read_segment(reader: Any) -> SegmentValues:
    """Read one segment's values from its date column and its source/person postings."""
    size = reader.doc_count_all()
    if reader.segment() is None:  # the reader of an empty index
        return SegmentValues(array("I"), [], [])
    dates = array("I", bytes(4 * size))
    if reader.has_column("date"):
        for docnum, value in enumerate(reader.column_reader("date", translate=True)):
            dates[docnum] = int(value or 0)
    sources = [""] * size
    for term in reader.lexicon("source_key"):
        key = term.decode("utf-8")
        for docnum in reader.postings("source_key", term).all_ids():
            sources[docnum] = key
    people_lists: dict[int, list[str]] = {}
    for term in reader.lexicon("person_key"):
        key = term.decode("utf-8")
        for docnum in reader.postings("person_key", term).all_ids():
            people_lists.setdefault(docnum, []).append(key)
    empty: tuple[str, ...] = ()
    people = [empty] * size
    for docnum, keys in people_lists.items():
        people[docnum] = tuple(keys)
    return SegmentValues(dates, sources, people)


@dataclass
class DocValues:
    """The values of every document a searcher sees, by global document number."""

    dates: array
    sources: list[str]
    people: list[tuple[str, ...]]
    segments: Sequence[SegmentValues] = ()
    _by_date: list[int] | None = None
    _sorted_dates: array | None = None
    _rank: array | None = None  # position of each document in (date, docnum) order
    _by_source: dict[str, list[int]] | None = None
    _by_person: dict[str, list[int]] | None = None
    # Match sets (arrays) and filter sets, by query and filters.
    _cache: OrderedDict[Any, Any] = field(default_factory=OrderedDict)
    cache_size: int = 64
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def concat(cls, segments: Sequence[SegmentValues], cache_size: int) -> DocValues:
        dates = array("I")
        for seg in segments:
            dates.extend(seg.dates)
        return cls(
            dates=dates,
            sources=list(chain.from_iterable(s.sources for s in segments)),
            people=list(chain.from_iterable(s.people for s in segments)),
            segments=list(segments),
            cache_size=cache_size,
        )

    def field_lengths(self, reader: Any, index: int, name: str) -> list[int]:
        """Stored lengths of field `name` in segment `index` (read once per segment)."""
        segment = self.segments[index]
        found = segment.lengths.get(name)
        if found is None:
            found = segment.lengths[name] = field_lengths(reader, name)
        return found

    def field_norms(
        self, reader: Any, index: int, name: str, params: tuple[float, float, float]
    ) -> list[float]:
        """k1 * ((1 - b) + b * length / average) for each document of segment `index`, kept
        until the parameters change (the average length changes with every write)."""
        segment = self.segments[index]
        known = segment.norms.get(name)
        if known is not None and known[0] == params:
            return known[1]
        k1, b, avgfl = params
        # A document without the field has no length (None); it is in no posting of it either.
        lengths = self.field_lengths(reader, index, name)
        norms = [k1 * ((1 - b) + b * (n or 0) / avgfl) for n in lengths]
        segment.norms[name] = (params, norms)
        return norms

    # -- filters ------------------------------------------------------------------------------
    def _date_order(self) -> tuple[list[int], array]:
        with self._lock:
            if self._by_date is None or self._sorted_dates is None:
                # sorted() is stable, so documents of one day stay in docnum order.
                order = sorted(range(len(self.dates)), key=self.dates.__getitem__)
                self._sorted_dates = array("I", (self.dates[i] for i in order))
                self._by_date = order
            return self._by_date, self._sorted_dates

    def _ranks(self) -> array:
        order, _ = self._date_order()
        with self._lock:
            if self._rank is None:
                rank = array("I", bytes(4 * len(order)))
                for position, docnum in enumerate(order):
                    rank[docnum] = position
                self._rank = rank
            return self._rank

    def in_dates(self, low: int | None, high: int | None) -> list[int]:
        """Document numbers dated within [low, high] (YYYYMMDD ints; None is open)."""
        order, dates = self._date_order()
        start = bisect.bisect_left(dates, low) if low is not None else bisect.bisect_left(dates, 1)
        end = bisect.bisect_right(dates, high) if high is not None else len(dates)
        return order[start:end]

    def with_source(self, keys: Iterable[str]) -> list[int]:
        if self._by_source is None:
            index: dict[str, list[int]] = {}
            for docnum, key in enumerate(self.sources):
                if key:
                    index.setdefault(key, []).append(docnum)
            self._by_source = index
        return list(chain.from_iterable(self._by_source.get(k, []) for k in keys))

    def with_person(self, keys: Iterable[str]) -> list[int]:
        if self._by_person is None:
            index: dict[str, list[int]] = {}
            for docnum, names in enumerate(self.people):
                for key in names:
                    index.setdefault(key, []).append(docnum)
            self._by_person = index
        return list(chain.from_iterable(self._by_person.get(k, []) for k in keys))

    # -- counting -----------------------------------------------------------------------------
    def count_sources(self, docnums: Sequence[int]) -> Counter[str]:
        counts = Counter(map(self.sources.__getitem__, docnums))
        counts.pop("", None)
        return counts

    def count_people(self, docnums: Sequence[int]) -> Counter[str]:
        return Counter(chain.from_iterable(map(self.people.__getitem__, docnums)))

    def count_days(self, docnums: Sequence[int]) -> Counter[int]:
        counts = Counter(map(self.dates.__getitem__, docnums))
        counts.pop(0, None)
        return counts

    def by_date(self, docnums: Sequence[int], n: int, *, newest: bool) -> list[int]:
        """The first `n` of `docnums` in date order (newest first when `newest`); documents of
        the same day in the order they were indexed (reversed for newest first)."""
        # A heap keyed by a C-level lookup: O(matches * log n), no Python call per match.
        rank = self._ranks().__getitem__
        if newest:
            return heapq.nlargest(n, docnums, key=rank)
        return heapq.nsmallest(n, docnums, key=rank)

    # -- cached match sets, filter sets and result pages, for this index version only ---------
    # Document-number sets are kept as arrays (4 bytes a document: at most cache_size x 400 KB
    # at 100k articles), never as Python sets (~10x that).
    def cached(self, key: Any) -> Any:
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
            return found

    def remember(self, key: Any, value: Any) -> None:
        if not self.cache_size:
            return
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)


class DocValuesCache:
    """Segment values by segment id, and the combined view by the exact segment list."""

    def __init__(self, cache_size: int = 64) -> None:
        # Match sets, filter sets and result pages kept per index version (app.config).
        self.cache_size = cache_size
        self._segments: OrderedDict[str, SegmentValues] = OrderedDict()
        self._view_key: Any = None
        self._view: DocValues | None = None
        self._lock = threading.Lock()

    def for_searcher(self, searcher: Any) -> DocValues:
        leaves = searcher.reader().leaf_readers()
        # The generation changes with every commit, deletions included: match sets cached
        # under an older one must not be reused.
        key = (searcher.reader().generation(), tuple(_segment_key(r) for r, _ in leaves))
        with self._lock:
            if self._view is not None and self._view_key == key:
                return self._view
        parts = []
        for reader, _ in leaves:
            seg_key = _segment_key(reader)
            with self._lock:
                values = self._segments.get(seg_key)
            if values is None:
                values = read_segment(reader)
                with self._lock:
                    self._segments[seg_key] = values
                    while len(self._segments) > SEGMENT_CACHE_SIZE:
                        self._segments.popitem(last=False)
            parts.append(values)
        view = DocValues.concat(parts, self.cache_size)
        with self._lock:
            self._view_key, self._view = key, view
            live = {k for k in key[1]}
            for stale in [k for k in self._segments if k not in live]:
                del self._segments[stale]
        return view

    def clear(self) -> None:
        with self._lock:
            self._segments.clear()
            self._view_key = self._view = None


def _segment_key(reader: Any) -> str:
    segment = reader.segment()
    # An empty index has a reader with no segment.
    return "" if segment is None else f"{segment.segment_id()}:{reader.doc_count_all()}"
