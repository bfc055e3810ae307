"""The search interface every backend implements (Whoosh, the embedded default, and PostgreSQL).

Backends receive parsed queries (app.search.query) and plain filter values; they return article
ids in rank order with an exact total. Rows are then loaded from the database, which is the
source of truth; the index holds only what searching needs.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from markupsafe import Markup

from app.search.query import Node

Sort = Literal["relevance", "newest", "oldest"]
# What matches can be counted by: source and author names case-folded, days as YYYY-MM-DD.
# "no_source" and "no_author" count the matches without a source / without any person, as
# {"": n}: "(no source)" and "(no author)" beside those facets, so their counts add up.
FacetField = Literal["source", "author", "day", "no_source", "no_author", "language"]
# What stories can be counted by (count=stories): the facet fields plus months and years, since
# a story's copies on two days of one month are one story in that month, not two.
StoryField = Literal[
    "source", "author", "day", "month", "year", "no_source", "no_author", "language"
]


def bm25_idf(total: int, n: int) -> float:
    """BM25's idf (Robertson-Sparck Jones, kept positive): a word in `n` of `total` articles."""
    return math.log(1.0 + (total - n + 0.5) / (n + 0.5))


@dataclass(frozen=True)
class Ranking:
    """The relevance formula's constants, shared by every backend: BM25F with one saturation
    per query word (Robertson & Zaragoza, "The Probabilistic Relevance Framework", 2009, 3.4).

    For one query word and one article, each field's frequency (stemmed form, plus the exact
    form again at `exact_weight`) is divided by that field's length part
    (1 - b) + b * length / average length, weighted (`title_weight` for the title fields, 1 for
    the body) and summed into one pseudo-frequency `tf`; the word then adds
    idf * tf * (k1 + 1) / (tf + k1), with idf = `bm25_idf` ** `idf_power` over the articles
    having the word in any field. So a word counts once, however many fields it is in.
    Chosen by leave-one-collection-out over five test collections (docs/relevance.md)."""

    k1: float = 2.0
    b_body: float = 0.5
    b_title: float = 0.5
    title_weight: float = 2.0
    exact_weight: float = 0.5
    idf_power: float = 1.5

    def idf(self, total: int, n: int) -> float:
        """The idf a query word weighs in ranking: `bm25_idf` to the power `idf_power`."""
        return float(bm25_idf(total, n) ** self.idf_power)

    def saturate(self, tf: float) -> float:
        """A word's weighted, length-normalised frequency, saturated: tf (k1 + 1) / (tf + k1)."""
        return tf * (self.k1 + 1) / (tf + self.k1)


RANKING = Ranking()
# A title made from the lead's first words (IndexDoc.title_derived): ranking counts its words a
# tenth, so they do not count twice.
DERIVED_TITLE_BOOST = 0.1


class SearchUnavailable(RuntimeError):
    """The index cannot be read (missing or damaged); `newsarchive reindex` rebuilds it."""


class IndexDamaged(SearchUnavailable):
    """An index file is cut short or its bytes differ from what was committed (a checksum
    mismatch): `newsarchive check --repair` rebuilds the index from the database."""


@dataclass(frozen=True)
class SearchFilters:
    """What narrows a search or a date-ordered listing: a date range (inclusive) and any of
    these sources or authors (matched case-insensitively). The one definition of these fields:
    the services' listings and search parameters use it too."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sources: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    # ISO 639-1 codes (app.ingest.language): articles in any of these languages.
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchRequest:
    query: Node | None
    filters: SearchFilters = field(default_factory=SearchFilters)
    sort: Sort = "relevance"
    offset: int = 0
    limit: int = 20
    # False when the caller needs only the top results (related articles): the total is then a
    # lower bound, and the backend skips the exact count over every match.
    exact_total: bool = True
    # Keyset paging: the last result of the previous page, as (published, id) in date order or
    # (score, id) in relevance order; the results are the matches after it in that order,
    # `offset` counted from there. The total still counts every match.
    after: tuple[dt.date, int] | tuple[float, int] | None = None
    # One result per story (IndexDoc.story_id): its best-ranked copy in this order; `total`,
    # `offset` and `after` then count stories.
    fold_stories: bool = False


@dataclass
class SearchHits:
    ids: list[int]
    scores: list[float | None]
    total: int
    # With `fold_stories`: for each id, how many other copies of its story match too.
    copies: list[int] | None = None


@dataclass(frozen=True)
class IndexDoc:
    """What the index needs of one article."""

    id: int
    title: str
    body: str
    published: dt.date
    source: str | None
    people: tuple[str, ...]
    content_hash: str
    # A title made from the lead's first words: ranking should not count those words twice.
    title_derived: bool = False
    # ISO 639-1 code, None when unknown: picks the text's analysis and the `lang=` filter.
    language: str | None = None
    # The story it is a copy of (app.services.stories): searches can fold copies by it.
    story_id: int | None = None


@dataclass
class IndexHealth:
    backend: str
    ok: bool
    doc_count: int | None
    detail: str = ""
    # When not ok, why, as a stable code: index_damaged, index_unreadable, index_rebuilding.
    problem: str | None = None


class SearchBackend(Protocol):
    """Add, delete, search, highlight, count, clear: all a backend must do."""

    name: str
    # True when the index is written in the same transaction as the row (nothing to catch up).
    transactional: bool

    def upsert(self, docs: list[IndexDoc]) -> None:
        """Add or replace these documents, committed together."""

    def delete(self, ids: list[int]) -> None:
        """Remove these documents (missing ids are ignored)."""

    def search(self, request: SearchRequest) -> SearchHits:
        """Ids in rank order for one page, and the exact number of matches. Relevance order is
        (score descending, id ascending); date order (published, id), newest or oldest first."""
        ...

    def facet_counts(
        self, query: Node | None, filters: SearchFilters, *, fields: tuple[FacetField, ...]
    ) -> dict[FacetField, dict[str, int]]:
        """For each field, the number of matches per value (an article with two authors counts
        for both); articles without a value are left out, and counted by "no_source" /
        "no_author"."""
        ...

    def story_counts(
        self, query: Node | None, filters: SearchFilters, *, fields: tuple[StoryField, ...]
    ) -> dict[StoryField, dict[str, int]]:
        """As `facet_counts`, but each value counts the distinct stories among its matches (a
        story's copies once; an article without a story id is a story of its own); months as
        YYYY-MM, years as YYYY."""
        ...

    def doc_frequencies(self, words: list[str]) -> dict[str, int]:
        """For each word, the number of articles whose text has it in any stemmed form."""
        ...

    def highlight(self, query: Node | None, text: str, *, whole: bool = False) -> Markup | None:
        """Escaped text with the query's matching words in <mark>; None when nothing matches.
        A fragment around the best matches, or the whole text when `whole`."""
        ...

    def locate(self, query: Node | None, text: str) -> int | None:
        """Offset of the first word of `text` that `highlight` would mark, or None when no word
        would be. A backend that cannot tell cheaply may answer 0 (the caller then falls back to
        highlighting the whole text) but must not answer None while a word would be marked."""
        ...

    def doc_count(self) -> int:
        """Number of documents in the index."""
        ...

    def versions(self) -> dict[int, str]:
        """Every indexed id with the content hash it was indexed with (for `check`)."""
        ...

    def clear(self) -> None:
        """Remove every document."""

    def rebuild(self, batches: Iterator[list[IndexDoc]]) -> int:
        """Replace the whole index with these documents (every article, a batch at a time);
        returns how many the index then holds. Searches keep working meanwhile."""
        ...

    def health(self) -> IndexHealth:
        """Whether the index can be read, and its size."""
        ...

    def generation(self) -> str | None:
        """A cheap token that changes with every committed change to the index (without reading
        it), or None when the backend has none; `check` trusts a recorded one instead of
        comparing every document when neither it nor the database has changed since."""
        ...

    def snapshot(self, dest: Path) -> list[str]:
        """Copy the latest committed index into the new folder `dest`, verified (for a
        backup); returns the files copied, none for a backend whose index is in the database."""
        ...

    def hold(self, reason: str | None) -> None:
        """Answer every search with SearchUnavailable(reason) until called with None (while the
        index is rebuilt because it disagrees with the database)."""
        ...

    def merge_segments(
        self, stop: threading.Event | None = None, *, separate_process: bool = False
    ) -> int:
        """Housekeeping outside any write lock (Whoosh: merge index segments) until done or
        `stop` is set; returns the units of work done (0: nothing was due). A long-running
        server asks for `separate_process`, so the work's memory leaves with that process."""
        ...

    def close(self) -> None:
        """Release searchers and files."""
