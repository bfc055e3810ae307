"""List and read-only endpoints: search, articles, sources, authors, dates, stats, health."""

from __future__ import annotations

import csv
import dataclasses
import io
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.api.common import (
    READ_ERRORS,
    Author,
    BeginDate,
    Cursor,
    EndDate,
    Fields,
    From,
    FromDate,
    Page,
    PageSize,
    PageSizeAlias,
    Q,
    Source,
    To,
    ToDate,
    base_url,
    errors,
    json_response,
    parse_fields,
    pick,
)
from app.api.schemas import ArticleList, DateCounts, Health, NameList, SearchResponse, Stats
from app.http import paging, present
from app.http.deps import ArchiveDep, ReadAuth, limit
from app.http.params import QueryArgs, page_params, search_params
from app.services import counts as archive_counts
from app.services import listing
from app.services.dedup import collapse as fold_near_duplicates
from app.services.facets import compare_histograms, parse_facets, parse_interval, search_summary
from app.services.search_export import FORMATS, csv_lines, export_ids, ndjson_lines
from app.services.searching import InvalidParameter, SearchParams, search_articles
from app.services.stats import api_stats, health
from app.services.suggest import did_you_mean

router = APIRouter(prefix="/api/v1", tags=["read"], dependencies=[ReadAuth])

SUMMARY_FIELDS = ("id", "title", "date", "source", "authors", "url", "links")
Sort = Annotated[
    str | None,
    Query(description="relevance, newest or oldest", examples=["newest"]),
]
OrderBy = Annotated[str | None, Query(alias="order-by", description="Guardian alias of `sort`")]
Facets = Annotated[
    str | None,
    Query(
        description="Comma-separated facets to count over all matches: source, author, year, month",
        examples=["source,author,year"],
    ),
]
ExportFormat = Annotated[str, Query(description="ndjson or csv", examples=["csv"])]
HistogramParam = Annotated[
    str | None,
    Query(description="Matches per period: day, month, year or auto", examples=["month"]),
]


def _params(request: Request, archive: Any, default_sort: str = "relevance") -> SearchParams:
    args = QueryArgs(list(request.query_params.multi_items()))
    return search_params(args, archive.settings, default_sort=default_sort)  # type: ignore[arg-type]


def search_cost(q: str, depth: int) -> float:
    """Rate-limit cost of a search: prefix terms expand to many words and deep pages rank many
    hits, so each counts as several plain searches."""
    return 1.0 + (4.0 if "*" in q else 0.0) + (4.0 if depth > 1000 else 0.0)


def _query_id(params: SearchParams, kind: str) -> str:
    return paging.fingerprint(
        {
            "kind": kind,
            "q": params.q,
            "from": params.date_from,
            "to": params.date_to,
            "source": params.sources,
            "author": params.authors,
            "sort": params.sort,
            "page_size": params.page_size,
        }
    )


@router.get("/search", response_model=SearchResponse, responses=errors(*READ_ERRORS, 429, 503))
def search(
    request: Request,
    archive: ArchiveDep,
    q: Q = None,
    from_: From = None,
    from_date: FromDate = None,
    begin_date: BeginDate = None,
    to: To = None,
    to_date: ToDate = None,
    end_date: EndDate = None,
    source: Source = None,
    author: Author = None,
    sort: Sort = None,
    order_by: OrderBy = None,
    page: Page = None,
    page_size: PageSize = None,
    page_size_alias: PageSizeAlias = None,
    cursor: Cursor = None,
    fields: Fields = None,
    facets: Facets = None,
    histogram: HistogramParam = None,
    collapse: Annotated[
        bool,
        Query(description="Fold near-duplicates on this page under their best-ranked copy"),
    ] = False,
) -> Any:
    """Search articles (`total` is exact). Searches with a query count against the search rate
    limit; follow `next` (an opaque cursor) or use `page` to page through. `facets` and
    `histogram` add counts over every match (not just this page)."""
    selected = parse_fields(fields, (*SUMMARY_FIELDS, "snippet", "score", "similar"))
    facet_names = parse_facets(facets)
    interval = parse_interval(histogram) if histogram is not None else None
    params = _params(request, archive)
    if params.q:
        limit(request, "search", cost=search_cost(params.q, params.page * params.page_size))
    query_id = _query_id(params, "search")
    # Pages continue after the last result, by keyset: (published, id) in date order, (score,
    # id) in relevance order, so articles added meanwhile neither shift nor repeat results.
    # (Scores themselves move a little as the archive grows; date order is exact.)
    by_date = params.sort in ("newest", "oldest") or not params.q
    if cursor:
        at = paging.decode(cursor, query=query_id)
        if by_date and at.key is not None:
            params = dataclasses.replace(params, page=at.page, after=at.key)
        elif not by_date and at.score is not None:
            params = dataclasses.replace(params, page=at.page, after=at.score)
        elif not by_date and at.offset is not None:  # cursors given out before keysets
            params = dataclasses.replace(params, page=at.offset // params.page_size + 1)
        else:
            raise InvalidParameter("cursor", "cursor is not valid for search")
    # Highlighting is most of a page's work after the search: skip it when the caller's
    # `fields` leave snippets out (the header's live count asks for `fields=id`).
    snippets = selected is None or "snippet" in selected
    result = search_articles(archive, params=params, snippets=snippets)
    shown = len(result.items)  # before folding: paging counts every match
    last = result.items[-1] if result.items else None
    if collapse:
        result = fold_near_duplicates(result)
    body = present.search_response(result, base_url(request))
    offset = (params.page - 1) * params.page_size
    more = bool(shown) and offset + shown < result.total
    at_next = paging.Cursor(page=params.page + 1, offset=offset + params.page_size)
    if last is not None and by_date:
        at_next = paging.Cursor(page=params.page + 1, key=(last.article.published, last.article.id))
    elif last is not None and last.score is not None:
        at_next = paging.Cursor(page=params.page + 1, score=(last.score, last.article.id))
    body["next"] = paging.encode(at_next, query=query_id) if more else None
    body["results"] = [pick(r, selected) for r in body["results"]]
    if suggestion := did_you_mean(archive, params=params, total=result.total):
        body["suggestion"] = suggestion
    if facet_names or interval is not None:
        summary = search_summary(archive, params=params, facets=facet_names, interval=interval)
        if facet_names:
            body["facets"] = {
                name: [{"value": v.value, "count": v.count} for v in values]
                for name, values in summary.facets.items()
            }
        if summary.histogram is not None:
            body["histogram"] = {
                "interval": summary.histogram.interval,
                "buckets": [
                    {
                        "key": b.key,
                        "start": b.start.isoformat(),
                        "end": b.end.isoformat(),
                        "count": b.count,
                    }
                    for b in summary.histogram.buckets
                ],
            }
    headers = {}
    if body["next"]:
        following = request.url.remove_query_params("page").include_query_params(
            cursor=body["next"]
        )
        headers["Link"] = f'<{following}>; rel="next"'
    return json_response(body, headers=headers)


@router.get(
    "/search/histogram",
    responses={
        **errors(*READ_ERRORS, 429),
        200: {
            "description": "Matches per period for each query (JSON, or CSV with format=csv)",
            "content": {"application/json": {}, "text/csv": {}},
        },
    },
)
def search_histogram_compare(
    request: Request,
    archive: ArchiveDep,
    q: Annotated[
        list[str] | None,
        Query(description="One to three queries to compare (repeat q)", examples=[["oil"]]),
    ] = None,
    from_: From = None,
    to: To = None,
    source: Source = None,
    author: Author = None,
    interval: Annotated[
        str, Query(description="day, month, year or auto", examples=["month"])
    ] = "auto",
    format: Annotated[str, Query(description="json or csv", examples=["csv"])] = "json",
) -> Any:
    """Attention over time: matches per period for up to three queries on one axis, each also as
    a share of all articles in the period (`share`), plus the articles per period."""
    fmt = format.strip().lower()
    if fmt not in ("json", "csv"):
        raise InvalidParameter("format", "format must be json or csv")
    queries = [v.strip() for k, v in request.query_params.multi_items() if k == "q" and v.strip()]
    params = dataclasses.replace(_params(request, archive), q=None)
    limit(request, "search", cost=float(len(queries) or 1))
    result = compare_histograms(
        archive, params=params, queries=queries, interval=parse_interval(interval, param="interval")
    )
    if fmt == "csv":
        header = ["period", "start", "end", "articles"]
        for i in range(len(result.series)):
            header += [f"q{i + 1}_count", f"q{i + 1}_share"]
        rows = [header]
        for j, b in enumerate(result.buckets):
            row: list[Any] = [b.key, b.start.isoformat(), b.end.isoformat(), b.count]
            for series in result.series:
                share = series.shares[j]
                row += [series.counts[j], "" if share is None else share]
            rows.append(row)
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        legend = "; ".join(f"q{i + 1} = {s.q}" for i, s in enumerate(result.series))
        return Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": 'attachment; filename="histogram.csv"',
                "X-Queries": legend.encode("ascii", "replace").decode(),
            },
        )
    return json_response(
        {
            "interval": result.interval,
            "periods": [
                {"key": b.key, "start": b.start, "end": b.end, "articles": b.count}
                for b in result.buckets
            ],
            "series": [
                {"q": s.q, "total": s.total, "counts": s.counts, "shares": s.shares}
                for s in result.series
            ],
        }
    )


@router.get(
    "/search/export",
    responses={
        **errors(*READ_ERRORS, 429, 503),
        200: {
            "description": "Every match, one JSON object per line (ndjson) or a CSV table",
            "content": {"application/x-ndjson": {}, "text/csv": {}},
        },
    },
)
def search_export(
    request: Request,
    archive: ArchiveDep,
    q: Q = None,
    from_: From = None,
    to: To = None,
    source: Source = None,
    author: Author = None,
    sort: Sort = None,
    format: ExportFormat = "ndjson",
) -> Any:
    """Every article matching a search, streamed (no result cap), with its full text."""
    fmt = format.strip().lower()
    if fmt not in FORMATS:
        raise InvalidParameter("format", f"format must be one of {', '.join(FORMATS)}")
    params = _params(request, archive)
    limit(request, "search", cost=10.0)
    ids = export_ids(archive, params=params)
    lines = ndjson_lines if fmt == "ndjson" else csv_lines
    media = "application/x-ndjson" if fmt == "ndjson" else "text/csv; charset=utf-8"
    return StreamingResponse(
        lines(archive, ids=ids),
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="search.{fmt}"',
            "X-Total-Count": str(len(ids)),
        },
    )


@router.get("/articles", response_model=ArticleList, responses=errors(*READ_ERRORS))
def list_articles(
    request: Request,
    archive: ArchiveDep,
    from_: From = None,
    from_date: FromDate = None,
    begin_date: BeginDate = None,
    to: To = None,
    to_date: ToDate = None,
    end_date: EndDate = None,
    source: Source = None,
    author: Author = None,
    sort: Annotated[
        str | None, Query(description="newest (default) or oldest", examples=["oldest"])
    ] = None,
    order_by: OrderBy = None,
    page: Page = None,
    page_size: PageSize = None,
    page_size_alias: PageSizeAlias = None,
    cursor: Cursor = None,
    fields: Fields = None,
) -> Any:
    """Articles in date order with the same filters as search. `next` pages by keyset on
    (date, id), so articles added meanwhile do not shift the pages."""
    selected = parse_fields(fields, SUMMARY_FIELDS)
    params = _params(request, archive, default_sort="newest")
    if params.sort == "relevance":
        raise InvalidParameter("sort", "articles are listed newest or oldest first")
    if params.date_from and params.date_to and params.date_from > params.date_to:
        raise InvalidParameter("from", "the from date is after the to date")
    filters = params.filters
    oldest = params.sort == "oldest"
    query_id = _query_id(params, "articles")
    if cursor:
        at = paging.decode(cursor, query=query_id)
        if at.key is None:
            raise InvalidParameter("cursor", "cursor is not valid for articles")
        page_no = at.page
        rows = listing.list_after(
            archive, filters=filters, after=at.key, limit=params.page_size + 1, oldest_first=oldest
        )
        total = listing.list_articles(archive, filters=filters, offset=0, limit=0)[1]
    else:
        page_no = params.page
        rows, total = listing.list_articles(
            archive,
            filters=filters,
            offset=(params.page - 1) * params.page_size,
            limit=params.page_size + 1,
            oldest_first=oldest,
        )
    more = len(rows) > params.page_size
    rows = rows[: params.page_size]
    next_cursor = (
        paging.encode(
            paging.Cursor(page=page_no + 1, key=(rows[-1].published, rows[-1].id)),
            query=query_id,
        )
        if more
        else None
    )
    base = base_url(request)
    return json_response(
        paging.envelope(
            total=total,
            page=page_no,
            page_size=params.page_size,
            results=[pick(present.summary(a, base), selected) for a in rows],
            next_cursor=next_cursor,
        )
    )


def _name_list(
    request: Request,
    counts: list[tuple[str, int]],
    *,
    kind: str,
    param: str,
    cursor: str | None,
) -> Any:
    page_no, size = page_params(
        QueryArgs(list(request.query_params.multi_items())), request.app.state.settings
    )
    query_id = paging.fingerprint({"kind": kind, "q": request.query_params.get("q"), "n": size})
    if cursor:
        at = paging.decode(cursor, query=query_id)
        if at.offset is None:
            raise InvalidParameter("cursor", f"cursor is not valid for {kind}")
        offset, page_no = at.offset, at.page
    else:
        offset = (page_no - 1) * size
    chunk = counts[offset : offset + size]
    base = base_url(request)
    results = [
        {
            "name": name,
            "articles": n,
            "links": {"articles": f"{base}/api/v1/articles?{param}={present.quote(name)}"},
        }
        for name, n in chunk
    ]
    more = offset + size < len(counts)
    return json_response(
        paging.envelope(
            total=len(counts),
            page=page_no,
            page_size=size,
            results=results,
            next_cursor=paging.encode(
                paging.Cursor(page=page_no + 1, offset=offset + size), query=query_id
            )
            if more
            else None,
        )
    )


NameQ = Annotated[str | None, Query(max_length=200, description="Only names containing this text")]


@router.get("/sources", response_model=NameList, responses=errors(*READ_ERRORS))
def list_sources(
    request: Request,
    archive: ArchiveDep,
    q: NameQ = None,
    page: Page = None,
    page_size: PageSize = None,
    page_size_alias: PageSizeAlias = None,
    cursor: Cursor = None,
) -> Any:
    """Every source with its number of articles, largest first."""
    counts = archive_counts.source_counts(archive)
    if q:
        counts = [(s, n) for s, n in counts if q.casefold() in s.casefold()]
    return _name_list(
        request,
        counts,
        kind="sources",
        param="source",
        cursor=cursor,
    )


@router.get("/authors", response_model=NameList, responses=errors(*READ_ERRORS))
def list_authors(
    request: Request,
    archive: ArchiveDep,
    q: NameQ = None,
    page: Page = None,
    page_size: PageSize = None,
    page_size_alias: PageSizeAlias = None,
    cursor: Cursor = None,
) -> Any:
    """Every author and contributor with their number of articles, largest first."""
    counts = archive_counts.person_counts(archive, name_contains=q)
    return _name_list(
        request,
        counts,
        kind="authors",
        param="author",
        cursor=cursor,
    )


@router.get("/dates", response_model=DateCounts, responses=errors(*READ_ERRORS))
def date_counts(
    request: Request,
    archive: ArchiveDep,
    year: Annotated[
        int | None,
        Query(ge=1, le=9999, description="Count per month of this year", examples=[2022]),
    ] = None,
    month: Annotated[
        int | None,
        Query(ge=1, le=12, description="Count per day of this month (needs `year`)", examples=[1]),
    ] = None,
) -> Any:
    """Article counts per year; per month of `year`; per day of `year` and `month` (the data
    behind the browse pages). Each count links to the API list of its articles."""
    if month is not None and year is None:
        raise InvalidParameter("month", "month needs a year")
    counts = archive_counts.date_counts(archive, year=year, month=month)
    level = "year" if year is None else "month" if month is None else "day"
    base = base_url(request)
    results = []
    for key, n in counts:
        if level == "year":
            label = f"{key:04d}"
        elif level == "month":
            label = f"{year:04d}-{key:02d}"
        else:
            label = f"{year:04d}-{month:02d}-{key:02d}"
        results.append(
            {
                "key": key,
                "date": label,
                "articles": n,
                "links": {"articles": f"{base}/api/v1/articles?from={label}&to={label}"},
            }
        )
    return json_response(
        {
            "level": level,
            "year": year,
            "month": month,
            "total": sum(n for _, n in counts),
            "results": results,
        }
    )


@router.get("/stats", response_model=Stats, responses=errors(*READ_ERRORS))
def stats(request: Request, archive: ArchiveDep) -> Any:
    """Totals, counts per year and month, and index health."""
    return json_response(api_stats(archive, base=base_url(request)))


health_router = APIRouter(prefix="/api/v1", tags=["read"])


@health_router.get("/health", response_model=Health)
def get_health(archive: ArchiveDep) -> Any:
    """Status, article count, index document count, and whether they agree (never needs a
    token, for monitoring)."""
    return json_response(health(archive))
