"""The way back from a reading page to the search that led there, and on to the results either
side of it. The search travels in the article's URL (its words, filters, order and the result's
rank `n`), so the links need no session and survive a reload, a bookmark or a new tab."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from urllib.parse import urlencode

from app.archive import Archive
from app.http import present
from app.http.params import MAX_PAGE, QueryArgs, search_params
from app.search.query import QuerySyntaxError
from app.services.searching import InvalidParameter, search_slice

# What a search is made of (page numbers excepted): what the reading page passes along.
SEARCH_KEYS = ("q", "from", "to", "source", "author", "sort", "page_size", "story")
RANK = "n"
MAX_RANK = MAX_PAGE * 10  # as deep as the results pages go


@dataclass
class Neighbour:
    title: str
    href: str


@dataclass
class ResultNav:
    rank: int
    total: int
    q: str
    back: str  # the results page holding this result, scrolled to it
    prev: Neighbour | None = None
    next: Neighbour | None = None


def folds_stories(args: QueryArgs) -> bool:
    """The search page's "one result per story" switch: on by default; the form sends story=0
    (a hidden field) and, when ticked, story=1 after it, so the last value is the choice."""
    values = args.all("story")
    return not values or values[-1].strip() != "0"


def search_context(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The search's own parameters out of a query string."""
    return [(k, v) for k, v in items if k in SEARCH_KEYS and v]


def result_href(path: str, context: list[tuple[str, str]], rank: int) -> str:
    """An article's URL as a result of the search `context`, at (1-based) `rank`."""
    return f"{path}?{urlencode([*context, (RANK, str(rank))])}"


def result_nav(archive: Archive, *, items: list[tuple[str, str]]) -> ResultNav | None:
    """Back, previous and next for a reading page whose query string `items` carries a search
    and a rank; None when it does not (or the search no longer reads)."""
    context = search_context(items)
    rank_text = dict(items).get(RANK, "")
    if not rank_text.isdigit() or not context:
        return None
    rank = int(rank_text)
    try:
        params = search_params(QueryArgs(context), archive.settings)
        # Ranks are positions in the results page's list: folded by story unless story=0.
        params = dataclasses.replace(params, by_story=folds_stories(QueryArgs(context)))
        if not 1 <= rank <= MAX_RANK:
            return None
        # One backend call for the results either side (rank - 1 and rank + 1).
        first = max(rank - 2, 0)
        rows, total = search_slice(archive, params=params, offset=first, limit=rank + 1 - first)
    except (QuerySyntaxError, InvalidParameter):
        return None
    at = {first + 1 + i: article for i, article in enumerate(rows)}
    prev, nxt = (
        Neighbour(a.title, result_href(present.html_path(a), context, n))
        if (a := at.get(n)) is not None
        else None
        for n in (rank - 1, rank + 1)
    )
    page = (rank - 1) // params.page_size + 1
    back = [*context, *([("page", str(page))] if page > 1 else [])]
    return ResultNav(
        rank=rank,
        total=total,
        q=params.q or "",
        back=f"/search?{urlencode(back)}#r{rank}",
        prev=prev,
        next=nxt,
    )
