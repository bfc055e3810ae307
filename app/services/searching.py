"""The search service: parse the query, ask the backend for ids, load rows, make snippets."""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from dataclasses import dataclass, field

from markupsafe import Markup

from app.archive import Archive
from app.models import Article
from app.search.base import SearchFilters, SearchRequest, Sort
from app.search.query import Node, QuerySyntaxError
from app.search.snippets import widen
from app.search.stopwords import parse_search
from app.services.articles import get_articles
from app.textclean import split_paragraphs

SORTS: tuple[Sort, ...] = ("relevance", "newest", "oldest")
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")  # NYT's begin_date=20220106


class InvalidParameter(ValueError):
    """A search parameter is malformed; `param` names it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


def parse_partial_date(value: str, *, end: bool, param: str) -> dt.date:
    """`YYYY`, `YYYY-MM` or `YYYY-MM-DD` (or `YYYYMMDD`) as the first or last day it covers."""
    text = value.strip()
    if m := _COMPACT_DATE.match(text):
        text = f"{m[1]}-{m[2]}-{m[3]}"
    m = _PARTIAL_DATE.match(text)
    if not m:
        raise InvalidParameter(param, f"{param} must be YYYY, YYYY-MM or YYYY-MM-DD, not {value!r}")
    year = int(m[1])
    month = int(m[2]) if m[2] else (12 if end else 1)
    try:
        if m[3]:
            return dt.date(year, month, int(m[3]))
        if not 1 <= month <= 12:
            raise ValueError("month must be in 1..12")
        day = calendar.monthrange(year, month)[1] if end else 1
        return dt.date(year, month, day)
    except ValueError as exc:
        raise InvalidParameter(param, f"{param}: impossible date {value!r} ({exc})") from None


@dataclass(frozen=True)
class SearchParams(SearchFilters):
    """A search as the pages and the API ask for it: the filters, and the query and paging."""

    q: str | None = None
    sort: Sort = "relevance"
    page: int = 1
    page_size: int = 20
    # Keyset position from an API cursor: the page starts after this (published, id) in date
    # order, (score, id) in relevance order, instead of at (page - 1) * page_size; `page` is
    # then only reported.
    after: tuple[dt.date, int] | tuple[float, int] | None = None
    # One result per story across the whole result set (app.services.stories); totals, pages
    # and cursors then count stories.
    by_story: bool = False

    @property
    def filters(self) -> SearchFilters:
        """Just the filters (what the backends and listings take)."""
        return SearchFilters(
            self.date_from, self.date_to, self.sources, self.authors, languages=self.languages
        )

    def check_dates(self) -> None:
        """Raise InvalidParameter when the range is empty because `from` is after `to`."""
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidParameter("from", "the from date is after the to date")


@dataclass
class SearchItem:
    article: Article
    snippet: Markup
    score: float | None
    # Near-duplicates of this article further down the same page (app.services.dedup.collapse).
    similar: list[Article] = field(default_factory=list)
    # With `by_story`: how many other copies of its story match the search too.
    copies: int = 0


@dataclass
class SearchPage:
    params: SearchParams
    total: int
    pages: int
    items: list[SearchItem] = field(default_factory=list)
    by_story: bool = False  # results are stories (one copy each), and `total` counts stories


def lead_snippet(body: str, chars: int = 240) -> Markup:
    """The start of the article, escaped, cut on a word boundary."""
    text = " ".join(" ".join(split_paragraphs(body)[:2]).split())
    if len(text) > chars:
        _, end, _, after = widen(text, 0, chars)
        text = text[:end] + (" …" if after else "")
    return Markup.escape(text)


# Snippets highlight a window around the first matching word (the backend's `locate`):
# highlighting costs time in proportion to the text analysed (1.3 ms for 3,000 characters).
SNIPPET_WINDOW_CHARS = 600
SNIPPET_LEAD_CHARS = 150


def make_snippet(archive: Archive, node: Node, body: str) -> Markup | None:
    """The best passage of `body` for the query, matches marked; None when no word matches.

    Long bodies are highlighted in a window from just before the first match: analysing every
    word of a long article cost most of a results page's time, and many top results match on
    their title alone, so their bodies would be analysed in full only to find nothing."""
    flat = " ".join(body.split())
    if len(flat) <= SNIPPET_WINDOW_CHARS:
        return archive.search.highlight(node, flat)
    first = archive.search.locate(node, flat)
    if first is None:
        return None
    start, end, before, after = widen(
        flat, first - SNIPPET_LEAD_CHARS, first + SNIPPET_WINDOW_CHARS
    )
    # The window's own cuts carry their "…", so a snippet reaching an edge of the window still
    # says that the text goes on.
    window = ("… " if before else "") + flat[start:end] + (" …" if after else "")
    return archive.search.highlight(node, window) or archive.search.highlight(node, flat)


def search_articles(
    archive: Archive, *, params: SearchParams, snippets: bool = True, exact_total: bool = True
) -> SearchPage:
    """Run one search. Raises QuerySyntaxError for a malformed query. Without `exact_total`
    the total is only a lower bound (cheaper, for callers that need just the top results)."""
    params.check_dates()
    node = parse_search(params.q)
    request = SearchRequest(
        query=node,
        filters=params.filters,
        sort=params.sort,
        offset=0 if params.after else (params.page - 1) * params.page_size,
        limit=params.page_size,
        exact_total=exact_total,
        after=params.after,
        fold_stories=params.by_story,
    )
    hits = archive.search.search(request)
    scores = dict(zip(hits.ids, hits.scores, strict=True))
    copies = dict(zip(hits.ids, hits.copies or [0] * len(hits.ids), strict=True))
    items = []
    found = get_articles(archive, ids=hits.ids, date_from=params.date_from, date_to=params.date_to)
    for article in found:
        # Callers that only need the ranking (exports, the relevance bench) skip highlighting.
        snippet = None
        if snippets and node is not None:
            snippet = make_snippet(archive, node, article.body)
        if snippet is None:
            snippet = lead_snippet(article.body) if snippets else Markup("")
        items.append(SearchItem(article, snippet, scores[article.id], copies=copies[article.id]))
    pages = max(1, math.ceil(hits.total / params.page_size)) if hits.total else 0
    return SearchPage(
        params=params, total=hits.total, pages=pages, items=items, by_story=params.by_story
    )


def search_slice(
    archive: Archive, *, params: SearchParams, offset: int, limit: int
) -> tuple[list[Article | None], int]:
    """`limit` results from `offset` in the search's order (no snippets; None for one the
    database no longer holds, so positions stay true) and the exact total: one backend call,
    for a reading page's previous and next result."""
    request = SearchRequest(
        query=parse_search(params.q),
        filters=params.filters,
        sort=params.sort,
        offset=offset,
        limit=limit,
        exact_total=True,
        fold_stories=params.by_story,
    )
    hits = archive.search.search(request)
    found = {a.id: a for a in get_articles(archive, ids=hits.ids)}
    return [found.get(i) for i in hits.ids], hits.total


def highlight_paragraphs(archive: Archive, *, q: str | None, paragraphs: list[str]) -> list[Markup]:
    """Paragraphs with the words of `q` marked (for a reading page reached from a search)."""
    try:
        node = parse_search(q)
    except QuerySyntaxError:
        node = None
    out = []
    for paragraph in paragraphs:
        marked = archive.search.highlight(node, paragraph, whole=True) if node else None
        out.append(marked or Markup.escape(paragraph))
    return out


__all__ = [
    "SORTS",
    "InvalidParameter",
    "QuerySyntaxError",
    "SearchItem",
    "SearchPage",
    "SearchParams",
    "highlight_paragraphs",
    "lead_snippet",
    "parse_partial_date",
    "search_articles",
    "search_slice",
]
