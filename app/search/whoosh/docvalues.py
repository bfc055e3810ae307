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

import threading
from array import array
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.search.whoosh.languages import families, family, field_family
from app.search.whoosh.postings import FloatArray, IntArray
from app.search.whoosh.scoring import field_lengths

_NO_DATES: NDArray[np.uint32] = np.zeros(0, np.uint32)
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
    lengths: dict[str, FloatArray] = field(default_factory=dict)
    norms: dict[str, tuple[tuple[float, float, float], FloatArray]] = field(default_factory=dict)
    languages: list[str] = field(default_factory=list)  # ISO 639-1 code, "" when unknown
    # Story ids (0: none, or an index made before story ids).
    stories: array = field(default_factory=lambda: array("I"))


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
    languages = [""] * size
    for term in reader.lexicon("language_key"):
        code = term.decode("utf-8")
        for docnum in reader.postings("language_key", term).all_ids():
            languages[docnum] = code
    stories = array("I", bytes(4 * size))
    if reader.has_column("story"):
        for docnum, value in enumerate(reader.column_reader("story", translate=True)):
            stories[docnum] = int(value or 0)
    return SegmentValues(dates, sources, people, languages=languages, stories=stories)


@dataclass
class DocValues:
    """The values of every document a searcher sees, by global document number."""

    dates: array
    sources: list[str]
    people: list[tuple[str, ...]]
    segments: Sequence[SegmentValues] = ()
    _dates_np: NDArray[np.uint32] | None = None
    _by_date: IntArray | None = None
    _sorted_dates: NDArray[np.uint32] | None = None
    _rank: IntArray | None = None  # position of each document in (date, docnum) order
    _sources_np: tuple[NDArray[np.int32], list[str]] | None = None
    _people_np: tuple[IntArray, NDArray[np.int32], list[str]] | None = None
    _unattributed: NDArray[np.bool_] | None = None  # documents without any person
    _by_source: dict[str, list[int]] | None = None
    _by_person: dict[str, list[int]] | None = None
    # Match sets (arrays) and filter sets, by query and filters.
    _cache: OrderedDict[Any, Any] = field(default_factory=OrderedDict)
    cache_size: int = 64
    _lock: threading.Lock = field(default_factory=threading.Lock)
    languages: list[str] = field(default_factory=list)
    _by_language: dict[str, list[int]] | None = None
    _languages_np: tuple[NDArray[np.int32], list[str]] | None = None
    _family_docs: Counter[str] | None = None
    stories: array = field(default_factory=lambda: array("I"))
    _story_keys: IntArray | None = None

    @classmethod
    def concat(cls, segments: Sequence[SegmentValues], cache_size: int) -> DocValues:
        dates = array("I")
        stories = array("I")
        for seg in segments:
            dates.extend(seg.dates)
            stories.extend(seg.stories or array("I", bytes(4 * len(seg.dates))))
        return cls(
            stories=stories,
            dates=dates,
            sources=list(chain.from_iterable(s.sources for s in segments)),
            people=list(chain.from_iterable(s.people for s in segments)),
            languages=list(chain.from_iterable(s.languages for s in segments)),
            segments=list(segments),
            cache_size=cache_size,
        )

    def field_lengths(self, reader: Any, index: int, name: str) -> FloatArray:
        """Stored lengths of field `name` in segment `index` (read once per segment); 0 for a
        document without the field, which is in no posting of it either."""
        segment = self.segments[index]
        found = segment.lengths.get(name)
        if found is None:
            lengths = field_lengths(reader, name)
            found = np.fromiter((n or 0 for n in lengths), np.float64, len(lengths))
            segment.lengths[name] = found
        return found

    def field_norms(
        self, reader: Any, index: int, name: str, params: tuple[float, float, float]
    ) -> FloatArray:
        """k1 * ((1 - b) + b * length / average) for each document of segment `index`, kept
        until the parameters change (the average length changes with every write)."""
        segment = self.segments[index]
        known = segment.norms.get(name)
        if known is not None and known[0] == params:
            return known[1]
        k1, b, avgfl = params
        lengths = self.field_lengths(reader, index, name)
        norms = k1 * ((1 - b) + b * lengths / avgfl)
        segment.norms[name] = (params, norms)
        return norms

    def family_docs(self) -> Counter[str]:
        """Documents (deleted ones until a merge, as Whoosh counts them) per language family
        (app.search.whoosh.languages.family)."""
        with self._lock:
            if self._family_docs is None:
                found: Counter[str] = Counter()
                for code, n in Counter(self.languages).items():
                    found[family(code)] += n
                self._family_docs = found
            return self._family_docs

    def families(self, codes: Iterable[str] | None = None) -> tuple[str, ...]:
        """The families a query is analysed for: those of `codes` (a `lang=` filter), else
        those present in the index; ("",) for an empty one."""
        if codes:
            return families(codes)
        return tuple(sorted(self.family_docs())) or ("",)

    def average_length(self, searcher: Any, field: str) -> float | None:
        """A stemmed field's average length over its own family's documents (scoring.Averages);
        None for other fields and for title/body in an index of one family, where Whoosh's
        average (over every document) is the same and stays bit for bit what it was."""
        fam = field_family(field)
        if fam is None:
            return None
        docs = self.family_docs()
        if fam == "" and set(docs) <= {""}:
            return None
        n = docs.get(fam, 0)
        return float(searcher.field_length(field)) / n if n else None

    def story_keys(self) -> IntArray:
        """What folds documents by story: the story id, or for a document without one a key of
        its own (minus its document number), so it is never folded with another."""
        with self._lock:
            if self._story_keys is None:
                keys = np.asarray(self.stories, dtype=np.int64)
                alone = np.flatnonzero(keys == 0)
                keys[alone] = -(alone + 1)
                self._story_keys = keys
            return self._story_keys

    # -- filters ------------------------------------------------------------------------------
    def date_array(self) -> NDArray[np.uint32]:
        """The dates as a NumPy view (no copy)."""
        if self._dates_np is None:
            self._dates_np = np.frombuffer(self.dates, np.uint32) if len(self.dates) else _NO_DATES
        return self._dates_np

    def _date_order(self) -> tuple[IntArray, NDArray[np.uint32]]:
        with self._lock:
            if self._by_date is None or self._sorted_dates is None:
                # A stable sort, so documents of one day stay in docnum order.
                order = np.argsort(self.date_array(), kind="stable")
                self._sorted_dates = self.date_array()[order]
                self._by_date = order
            return self._by_date, self._sorted_dates

    def ranks(self) -> IntArray:
        order, _ = self._date_order()
        with self._lock:
            if self._rank is None:
                rank = np.empty(len(order), np.int64)
                rank[order] = np.arange(len(order))
                self._rank = rank
            return self._rank

    def in_dates(self, low: int | None, high: int | None) -> IntArray:
        """Document numbers dated within [low, high] (YYYYMMDD ints; None is open), in
        (date, docnum) order."""
        order, dates = self._date_order()
        start = int(np.searchsorted(dates, 1 if low is None else low, "left"))
        end = len(dates) if high is None else int(np.searchsorted(dates, high, "right"))
        return order[start:end]

    def with_source(self, keys: Iterable[str]) -> list[int]:
        if self._by_source is None:
            index: dict[str, list[int]] = {}
            for docnum, key in enumerate(self.sources):
                if key:
                    index.setdefault(key, []).append(docnum)
            self._by_source = index
        return list(chain.from_iterable(self._by_source.get(k, []) for k in keys))

    def with_language(self, codes: Iterable[str]) -> list[int]:
        if self._by_language is None:
            index: dict[str, list[int]] = {}
            for docnum, code in enumerate(self.languages):
                if code:
                    index.setdefault(code, []).append(docnum)
            self._by_language = index
        return list(chain.from_iterable(self._by_language.get(c, []) for c in codes))

    def with_person(self, keys: Iterable[str]) -> list[int]:
        if self._by_person is None:
            index: dict[str, list[int]] = {}
            for docnum, names in enumerate(self.people):
                for key in names:
                    index.setdefault(key, []).append(docnum)
            self._by_person = index
        return list(chain.from_iterable(self._by_person.get(k, []) for k in keys))

    # -- counting, over arrays of document numbers -------------------------------------------
    def _source_codes(self) -> tuple[NDArray[np.int32], list[str]]:
        with self._lock:
            if self._sources_np is None:
                names = sorted(set(self.sources))
                code = {name: i for i, name in enumerate(names)}
                codes = np.fromiter(
                    map(code.__getitem__, self.sources), np.int32, len(self.sources)
                )
                self._sources_np = (codes, names)
            return self._sources_np

    def _person_pairs(self) -> tuple[IntArray, NDArray[np.int32], list[str]]:
        with self._lock:
            if self._people_np is None:
                names = sorted(set(chain.from_iterable(self.people)))
                code = {name: i for i, name in enumerate(names)}
                counts = np.fromiter(map(len, self.people), np.int64, len(self.people))
                docs = np.repeat(np.arange(len(self.people), dtype=np.int64), counts)
                flat = chain.from_iterable(self.people)
                codes = np.fromiter(map(code.__getitem__, flat), np.int32, len(docs))
                self._people_np = (docs, codes, names)
            return self._people_np

    def count_sources(self, docnums: IntArray) -> Counter[str]:
        """Matches per source; "" for those without one."""
        codes, names = self._source_codes()
        counts = np.bincount(codes[docnums], minlength=len(names))
        return Counter({names[i]: int(counts[i]) for i in np.flatnonzero(counts).tolist()})

    def _language_codes(self) -> tuple[NDArray[np.int32], list[str]]:
        with self._lock:
            if self._languages_np is None:
                names = sorted(set(self.languages))
                code = {name: i for i, name in enumerate(names)}
                codes = np.fromiter(
                    map(code.__getitem__, self.languages), np.int32, len(self.languages)
                )
                self._languages_np = (codes, names)
            return self._languages_np

    def count_languages(self, docnums: IntArray) -> Counter[str]:
        codes, names = self._language_codes()
        counts = np.bincount(codes[docnums], minlength=len(names))
        found = Counter({names[i]: int(counts[i]) for i in np.flatnonzero(counts).tolist()})
        found.pop("", None)
        return found

    def count_people(self, docnums: IntArray) -> Counter[str]:
        docs, codes, names = self._person_pairs()
        chosen = np.zeros(len(self.people), bool)
        chosen[docnums] = True
        counts = np.bincount(codes[chosen[docs]], minlength=len(names))
        return Counter({names[i]: int(counts[i]) for i in np.flatnonzero(counts).tolist()})

    def unattributed(self) -> NDArray[np.bool_]:
        """For each document, whether it has no person at all."""
        with self._lock:
            if self._unattributed is None:
                counts = np.fromiter(map(len, self.people), np.int64, len(self.people))
                self._unattributed = counts == 0
            return self._unattributed

    def count_unattributed(self, docnums: IntArray) -> int:
        """How many of `docnums` have no person at all (the "(no author)" count)."""
        return int(np.count_nonzero(self.unattributed()[docnums]))

    def count_days(self, docnums: IntArray) -> Counter[int]:
        days, counts = np.unique(self.date_array()[docnums], return_counts=True)
        found = Counter(dict(zip(days.tolist(), counts.tolist(), strict=True)))
        found.pop(0, None)
        return found

    def by_date(self, docnums: IntArray, n: int, *, newest: bool) -> list[int]:
        """The first `n` of `docnums` in date order (newest first when `newest`); documents of
        the same day in the order they were indexed (reversed for newest first)."""
        if not len(docnums) or n <= 0:
            return []
        rank = self.ranks()[docnums]
        key = -rank if newest else rank
        if n < len(key):
            chosen = np.argpartition(key, n - 1)[:n]
            chosen = chosen[np.argsort(key[chosen])]
        else:
            chosen = np.argsort(key)
        return [int(d) for d in np.asarray(docnums)[chosen].tolist()]

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
