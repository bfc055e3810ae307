"""HTML pages: thin routes over the same services as the API, rendered with Jinja2 (autoescaped)."""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import re
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from app.http import present
from app.http.deps import ArchiveDep, limit
from app.http.errors import ApiError
from app.http.params import MAX_PAGE, MAX_QUERY_CHARS, QueryArgs, check_length, search_params
from app.http.templating import render
from app.http.urls import base_url
from app.ingest.names import display_name
from app.search.base import SearchFilters
from app.search.query import QuerySyntaxError
from app.services import articles
from app.services.counts import author_counts, date_counts, source_counts
from app.services.dedup import collapse
from app.services.facets import parse_count
from app.services.listing import list_articles, neighbours
from app.services.related import related_articles
from app.services.searching import (
    InvalidParameter,
    SearchPage,
    highlight_paragraphs,
    search_articles,
)
from app.services.story_view import other_copies
from app.services.suggest import as_plain_words, has_text_words
from app.textclean import display_paragraphs
from app.web import citation, metadata
from app.web import feeds as web_feeds
from app.web import stories as web_stories
from app.web.result_nav import folds_stories, result_href, result_nav, search_context
from app.web.search import search_extras

LIST_PAGE_SIZE = 30
_MARK = re.compile(r"<mark>")

router = APIRouter(include_in_schema=False)
router.include_router(web_feeds.router)
router.include_router(web_stories.router)


def _page_url(request: Request, page: int) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    if page > 1:
        params.append(("page", str(page)))
    # scope["path"] is decoded ("/sources/Port News"): quote it back for the link
    return quote(request.url.path) + ("?" + urlencode(params) if params else "")


def _pager(request: Request, page: int, pages: int, deepest: int | None = None) -> dict[str, Any]:
    last = min(pages, deepest or pages)
    return {
        "page": page,
        "pages": pages,
        "prev": _page_url(request, page - 1) if page > 1 else None,
        "next": _page_url(request, page + 1) if page < last else None,
        "numbers": [(n, _page_url(request, n) if n else None) for n in page_numbers(page, last)],
    }


def page_numbers(page: int, last: int, around: int = 2) -> list[int]:
    """The page numbers to offer: the first, the last and `around` either side of `page`; a 0
    stands for the pages left out (shown as an ellipsis)."""
    wanted = sorted({1, last, *range(max(1, page - around), min(last, page + around) + 1)})
    out: list[int] = []
    for n in wanted:
        if out and n - out[-1] == 2:
            out.append(n - 1)  # one page left out: show it rather than "…"
        elif out and n - out[-1] > 2:
            out.append(0)
        out.append(n)
    return out


def _api(path: str, *pairs: tuple[str, str], **params: str) -> str:
    """The API URL of a page's JSON twin (re-encoded, never the raw query string)."""
    query = urlencode([*pairs, *((k, v) for k, v in params.items() if v)])
    return f"/api/v1{path}" + (f"?{query}" if query else "")


@router.get("/", response_class=HTMLResponse)
def home(request: Request, archive: ArchiveDep) -> Response:
    latest, total = list_articles(archive, filters=SearchFilters(), offset=0, limit=15)
    return render(
        request,
        "home.html",
        alternate=_api("/articles"),
        latest=latest,
        total=total,
        sources=source_counts(archive),
        authors=author_counts(archive, limit=10),
        years=date_counts(archive),
        feed=("/feeds/latest.atom", "Latest articles"),
    )


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, archive: ArchiveDep) -> Response:
    args = QueryArgs(list(request.query_params.multi_items()))
    if args.first("q"):
        limit(request, "page")  # a search per visit: limited per address, as the API's are
    error = None
    hint = ""  # how to fix a query that does not parse
    result: SearchPage | None = None
    extras = None
    plain_search: tuple[str, str] | None = None
    links: dict[int, str] = {}
    ranks: dict[int, int] = {}
    try:
        params = search_params(args, archive.settings)
        # "One result per story": on unless the URL says story=0 (kept in links).
        params = dataclasses.replace(params, by_story=folds_stories(args))
        # Facets and the timeline count what the results are, unless `count=` says otherwise.
        unit = parse_count(args.first("count") or ("stories" if params.by_story else None))
        found = search_articles(archive, params=params)
        # Each result links to its reading page with the search and its rank in it (before
        # near-duplicates fold), for the reading page's back, previous and next links.
        context = search_context(list(request.query_params.multi_items()))
        offset = (params.page - 1) * params.page_size
        for i, item in enumerate(found.items, offset + 1):
            ranks[item.article.id] = i
            links[item.article.id] = result_href(present.html_path(item.article), context, i)
        result = found if params.by_story else collapse(found)
        query = list(request.query_params.multi_items())
        extras = search_extras(archive, params=params, result=result, query=query, count=unit)
    except (QuerySyntaxError, InvalidParameter) as exc:
        error = (
            f"{exc}"
            if isinstance(exc, InvalidParameter)
            else f"We could not read that query: {exc}"
        )
        hint = exc.hint if isinstance(exc, QuerySyntaxError) else ""
        if isinstance(exc, QuerySyntaxError):
            plain = as_plain_words(args.first("q") or "")
            if plain:
                others = [(k, v) for k, v in request.query_params.multi_items() if k != "q"]
                plain_search = (plain, "/search?" + urlencode([("q", plain), *others]))
    # echoed into the form: bounded even when refused for its length
    form = {k: (args.first(k) or "")[:MAX_QUERY_CHARS] for k in ("q", "from", "to", "sort")}
    form["story"] = "1" if folds_stories(args) else ""
    form |= {k: ", ".join(args.all(k))[:MAX_QUERY_CHARS] for k in ("source", "author")}
    return render(
        request,
        "search.html",
        status=400 if error else 200,
        alternate=_api("/search", *request.query_params.multi_items()),
        result=result,
        error=error,
        error_hint=hint,
        form=form,
        chips=_filter_chips(request),
        extras=extras,
        plain_search=plain_search,
        # Feed readers take the first feed a page names: this search's, not the latest.
        feed=(extras.feed, f"News Archive: {form['q'] or 'search'}") if extras else None,
        links=links,
        ranks=ranks,
        pager=_pager(request, result.params.page, result.pages, deepest=_deepest(result))
        if result
        else None,
    )


def _deepest(result: SearchPage) -> int:
    """The last page a search can be paged to (search_params refuses deeper ones)."""
    return min(result.pages, MAX_PAGE * 10 // result.params.page_size)


_CHIP_LABELS = {
    "from": "From",
    "to": "To",
    "source": "Source",
    "author": "Author",
    "lang": "Language",
}


MAX_CHIPS = 12


def _filter_chips(request: Request) -> list[tuple[str, str]]:
    """(label, URL without that filter) for each active filter, so each can be removed alone."""
    items = request.query_params.multi_items()
    chips = []
    for i, (key, value) in enumerate(items):
        if key in _CHIP_LABELS and value:
            rest = [(k, v) for j, (k, v) in enumerate(items) if j != i and k != "page"]
            chips.append((f"{_CHIP_LABELS[key]}: {value}", "/search?" + urlencode(rest)))
    return chips[:MAX_CHIPS]  # each chip repeats the query: bounded, as the page's size is


def _number_marks(paragraphs: list[Markup]) -> tuple[list[Markup], int]:
    """Give every highlighted word an anchor (#m1, #m2, …) for next/previous-match links."""
    count = 0

    def anchor(_: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return f'<mark id="m{count}">'

    # The paragraphs are escaped text with only our own <mark> tags, so the pattern is exact.
    return [Markup(_MARK.sub(anchor, str(p))) for p in paragraphs], count


def _lead_in(article: Any, paragraphs: list[str]) -> list[Any]:
    """A headline made from the lead repeats the lead's first words: set them as the lead-in
    (as print does) so the repeat reads as design, not as an accident."""
    stem = article.title.removesuffix("…")
    if not (article.title_derived and paragraphs and paragraphs[0].startswith(stem)):
        return list(paragraphs)
    first = paragraphs[0]
    lead = Markup('<span class="leadin">{}</span>{}').format(stem, first[len(stem) :])
    return [lead, *paragraphs[1:]]


@router.get("/articles/{article_id}", response_class=HTMLResponse)
@router.get("/articles/{article_id}/{slug}", response_class=HTMLResponse)
def article_page(
    request: Request, archive: ArchiveDep, article_id: int, slug: str | None = None
) -> Response:
    article = articles.get_article(archive, article_id=article_id)
    canonical = present.html_path(article)
    if request.url.path != canonical:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(canonical + query, status_code=301)
    q = check_length("q", request.query_params.get("q"))
    paragraphs = display_paragraphs(article.body)
    body: list[Any] = _lead_in(article, paragraphs)
    matches = 0
    # `author:mankowski` or `source:cnn` alone names no words of the text: nothing to mark.
    if q and has_text_words(q):
        body, matches = _number_marks(highlight_paragraphs(archive, q=q, paragraphs=paragraphs))
    prev, nxt = neighbours(archive, article=article)
    from_search = result_nav(archive, items=list(request.query_params.multi_items()))
    base = base_url(request)
    permalink = base + canonical
    accessed = dt.date.today().isoformat()
    return render(
        request,
        "article.html",
        alternate=present.api_path(article),
        article=article,
        paragraphs=body,
        prev=prev,
        next=nxt,
        from_search=from_search,
        highlighted=bool(q) and has_text_words(q or ""),
        matches=matches,
        permalink=permalink,
        cite_plain=citation.plain(article, permalink=permalink, accessed=accessed),
        cite_bibtex=citation.bibtex(article, permalink=permalink, accessed=accessed),
        json_ld=metadata.json_ld(metadata.news_article(article, base=base)),
        opengraph=metadata.opengraph(article, base=base),
        description=metadata.description(article),
        also=other_copies(archive, article=article),
    )


# Related articles get their own page: ranking an OR of an article's key terms costs ~100 ms at
# 20k articles with Whoosh, which would make every reading page slow.
@router.get("/related/{article_id}", response_class=HTMLResponse)
def related_page(request: Request, archive: ArchiveDep, article_id: int) -> Response:
    article = articles.get_article(archive, article_id=article_id)
    return render(
        request,
        "related.html",
        alternate=f"/api/v1/articles/{article.id}/related",
        article=article,
        related=related_articles(archive, article_id=article.id),
    )


def _articles_page(
    request: Request,
    archive: ArchiveDep,
    filters: SearchFilters,
    template: str,
    alternate: str,
    missing: str | None = None,
    **context: Any,
) -> Response:
    try:
        page = int(request.query_params.get("page", "1"))
    except ValueError:
        page = 1
    page = max(1, min(page, 10_000))
    rows, total = list_articles(
        archive, filters=filters, offset=(page - 1) * LIST_PAGE_SIZE, limit=LIST_PAGE_SIZE
    )
    if missing and not total:
        raise ApiError(404, missing)
    pages = max(1, -(-total // LIST_PAGE_SIZE))
    if page > pages:
        raise ApiError(404, "There is no such page of this list.")
    return render(
        request,
        template,
        alternate=alternate,
        rows=rows,
        total=total,
        pager=_pager(request, page, pages),
        **context,
    )


@router.get("/browse", response_class=HTMLResponse)
def browse_years(request: Request, archive: ArchiveDep) -> Response:
    return render(
        request,
        "browse.html",
        alternate=_api("/articles"),
        level="years",
        counts=date_counts(archive),
        year=None,
        month=None,
    )


@router.get("/browse/{year}", response_class=HTMLResponse)
def browse_year(request: Request, archive: ArchiveDep, year: int) -> Response:
    counts = dict(date_counts(archive, year=year))
    if not counts:
        raise ApiError(404, f"The archive has no articles from {year}.")
    years = [y for y, _ in date_counts(archive)]
    return render(
        request,
        "browse.html",
        alternate=_api("/articles", **{"from": str(year), "to": str(year)}),
        level="months",
        counts=[(m, counts.get(m, 0)) for m in range(1, 13)],
        year=year,
        month=None,
        total=sum(counts.values()),
        prev_year=max((y for y in years if y < year), default=None),
        next_year=min((y for y in years if y > year), default=None),
    )


@router.get("/browse/{year}/{month}", response_class=HTMLResponse)
def browse_month(request: Request, archive: ArchiveDep, year: int, month: int) -> Response:
    counts = dict(date_counts(archive, year=year, month=month)) if 1 <= month <= 12 else {}
    if not counts:
        raise ApiError(404, f"The archive has no articles from {year}-{month:02d}.")
    weeks = calendar.Calendar(firstweekday=0).monthdayscalendar(year, month)
    ym = f"{year}-{month:02d}"
    prev_month, next_month = _adjacent_months(archive, year, month)
    return render(
        request,
        "browse.html",
        alternate=_api("/articles", **{"from": ym, "to": ym}),
        level="days",
        counts=sorted(counts.items()),
        weeks=[[(d, counts.get(d, 0)) for d in week] for week in weeks],
        year=year,
        month=month,
        total=sum(counts.values()),
        prev_month=prev_month,
        next_month=next_month,
    )


def _adjacent_months(
    archive: ArchiveDep, year: int, month: int
) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """The nearest earlier and later (year, month) holding articles, across empty stretches."""
    years = [y for y, _ in date_counts(archive)]
    before = [y for y in years if y <= year][::-1]
    after = [y for y in years if y >= year]

    def first(candidates: list[int], earlier: bool) -> tuple[int, int] | None:
        for y in candidates:
            months = [m for m, n in date_counts(archive, year=y) if n]
            if y == year:
                months = [m for m in months if (m < month if earlier else m > month)]
            if months:
                return (y, max(months) if earlier else min(months))
        return None

    return first(before, True), first(after, False)


@router.get("/browse/{year}/{month}/{day}", response_class=HTMLResponse)
def browse_day(request: Request, archive: ArchiveDep, year: int, month: int, day: int) -> Response:
    try:
        date = dt.date(year, month, day)
    except (ValueError, OverflowError):  # e.g. day 10**20
        raise ApiError(404, "There is no such date.") from None
    return _articles_page(
        request,
        archive,
        SearchFilters(date_from=date, date_to=date),
        "day.html",
        alternate=_api("/articles", **{"from": date.isoformat(), "to": date.isoformat()}),
        date=date,
    )


@router.get("/sources", response_class=HTMLResponse)
def sources(request: Request, archive: ArchiveDep) -> Response:
    return render(
        request,
        "counts.html",
        alternate=_api("/articles"),
        heading="Sources",
        prefix="/sources/",
        counts=source_counts(archive),
        empty="No article names its source yet.",
    )


@router.get("/sources/{name}", response_class=HTMLResponse)
def source_page(request: Request, archive: ArchiveDep, name: str) -> Response:
    return _articles_page(
        request,
        archive,
        SearchFilters(sources=(name,)),
        "listing.html",
        alternate=_api("/articles", source=name),
        missing=f"The archive has no articles from {name!r}.",
        heading=name,
        crumb=("/sources", "Sources"),
        hide_source=True,  # every row is from this source
        search_within=f"/search?{urlencode({'source': name})}",
        feed=(f"/feeds/sources/{quote(name, safe='')}.atom", f"Latest from {name}"),
    )


@router.get("/authors", response_class=HTMLResponse)
def authors(request: Request, archive: ArchiveDep) -> Response:
    return render(
        request,
        "counts.html",
        alternate=_api("/articles"),
        heading="Authors",
        prefix="/authors/",
        counts=author_counts(archive),
        empty="No article names its author yet.",
    )


@router.get("/authors/{name}", response_class=HTMLResponse)
def author_page(request: Request, archive: ArchiveDep, name: str) -> Response:
    return _articles_page(
        request,
        archive,
        SearchFilters(authors=(name,)),
        "listing.html",
        alternate=_api("/articles", author=name),
        missing=f"The archive has no articles by {name!r}.",
        heading=display_name(name),
        crumb=("/authors", "Authors"),
        hide_source=False,
        search_within=f"/search?{urlencode({'author': name})}",
    )
