"""List and read-only endpoints: search, articles, sources, authors, dates, stats, health."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.api.common import READ_ERRORS, errors, json_response, pick
from app.api.params import (
    CompareQuery,
    ExportQuery,
    ListQuery,
    NameQuery,
    SearchQuery,
    compare_query,
    export_query,
    list_query,
    name_query,
    search_query,
)
from app.api.schemas import ArticleList, DateCounts, Health, NameList, SearchResponse, Stats
from app.http import counts, paging, present
from app.http.deps import ArchiveDep, ReadAuth, limit
from app.http.headers import content_disposition, header_text, link_header
from app.http.urls import base_url
from app.services import counts as archive_counts
from app.services import listing
from app.services.dedup import collapse as fold_near_duplicates
from app.services.facets import compare_histograms, search_summary
from app.services.search_export import FORMATS, csv_lines, export_ids, ndjson_lines
from app.services.searching import InvalidParameter, search_articles
from app.services.stats import api_stats, health
from app.services.suggest import did_you_mean

router = APIRouter(prefix="/api/v1", tags=["read"], dependencies=[ReadAuth])


def search_cost(q: str, depth: int) -> float:
    """Rate-limit cost of a search: prefix terms expand to many words and deep pages rank many
    hits, so each counts as several plain searches."""
    return 1.0 + (4.0 if "*" in q else 0.0) + (4.0 if depth > 1000 else 0.0)


@router.get("/search", response_model=SearchResponse, responses=errors(*READ_ERRORS, 429, 503))
def search(
    request: Request,
    archive: ArchiveDep,
    query: Annotated[SearchQuery, Depends(search_query)],
) -> Any:
    """Search articles (`total` is exact). Searches with a query count against the search rate
    limit; follow `next` (an opaque cursor) or use `page` to page through. `facets` and
    `histogram` add counts over every match (not just this page)."""
    params = query.params
    if params.q:
        limit(request, "search", cost=search_cost(params.q, params.page * params.page_size))
    query_id = paging.query_id(params, "search")
    params = paging.resume_search(params, query.cursor, query=query_id)
    # Highlighting is most of a page's work after the search: skip it when the caller's
    # `fields` leave snippets out (the header's live count asks for `fields=id`).
    snippets = query.fields is None or "snippet" in query.fields
    result = search_articles(archive, params=params, snippets=snippets)
    shown = len(result.items)  # before folding: paging counts every match
    last = result.items[-1] if result.items else None
    if query.collapse:
        result = fold_near_duplicates(result)
    body = present.search_response(result, base_url(request))
    body["next"] = paging.next_search(
        params, shown=shown, total=result.total, last=last, query=query_id
    )
    body["results"] = [pick(r, query.fields) for r in body["results"]]
    if suggestion := did_you_mean(archive, params=params, total=result.total):
        body["suggestion"] = suggestion
    if query.facets or query.interval is not None:
        summary = search_summary(
            archive,
            params=params,
            facets=query.facets,
            interval=query.interval,
            count=query.count,
        )
        body["count"] = query.count
        if query.facets:
            body["facets"] = counts.facets_json(summary.facets)
        if summary.missing:
            body["facets_missing"] = summary.missing
        if summary.histogram is not None:
            body["histogram"] = counts.histogram_json(summary.histogram)
    headers = {}
    if body["next"]:
        following = request.url.remove_query_params("page").include_query_params(
            cursor=body["next"]
        )
        if link := link_header(str(following), "next"):
            headers["Link"] = link
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
    query: Annotated[CompareQuery, Depends(compare_query)],
) -> Any:
    """Attention over time: matches per period for up to three queries on one axis, each also as
    a share of all articles in the period (`share`), plus the articles per period."""
    limit(request, "search", cost=float(len(query.queries) or 1))
    result = compare_histograms(
        archive,
        params=query.params,
        queries=query.queries,
        interval=query.interval,
        count=query.count,
    )
    if query.format == "csv":
        return Response(
            counts.comparison_csv(result, query.count),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": content_disposition("histogram.csv"),
                "X-Queries": header_text(counts.comparison_legend(result)),
            },
        )
    return json_response(counts.comparison_json(result, query.count))


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
    query: Annotated[ExportQuery, Depends(export_query)],
) -> Any:
    """Every article matching a search, streamed (no result cap), with its full text."""
    fmt = query.format
    if fmt not in FORMATS:
        raise InvalidParameter("format", f"format must be one of {', '.join(FORMATS)}")
    limit(request, "search", cost=10.0)
    ids = export_ids(archive, params=query.params)
    lines = ndjson_lines if fmt == "ndjson" else csv_lines
    media = "application/x-ndjson" if fmt == "ndjson" else "text/csv; charset=utf-8"
    return StreamingResponse(
        lines(archive, ids=ids),
        media_type=media,
        headers={
            "Content-Disposition": content_disposition(f"search.{fmt}"),
            "X-Total-Count": str(len(ids)),
        },
    )


@router.get("/articles", response_model=ArticleList, responses=errors(*READ_ERRORS))
def list_articles(
    request: Request,
    archive: ArchiveDep,
    query: Annotated[ListQuery, Depends(list_query)],
) -> Any:
    """Articles in date order with the same filters as search. `next` pages by keyset on
    (date, id), so articles added meanwhile do not shift the pages."""
    params = query.params
    filters = params.filters
    oldest = params.sort == "oldest"
    query_id = paging.query_id(params, "articles")
    if query.cursor:
        at = paging.resume_list(query.cursor, query=query_id)
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
    shown = rows[: params.page_size]  # one extra row was fetched to see whether there is more
    next_cursor = paging.next_list(rows, page=page_no, page_size=params.page_size, query=query_id)
    base = base_url(request)
    return json_response(
        paging.envelope(
            total=total,
            page=page_no,
            page_size=params.page_size,
            results=[pick(present.summary(a, base), query.fields) for a in shown],
            next_cursor=next_cursor,
        )
    )


def _name_list(
    request: Request, counts: list[tuple[str, int]], query: NameQuery, *, kind: str, param: str
) -> Any:
    size = query.page_size
    query_id = paging.fingerprint({"kind": kind, "q": query.q, "n": size})
    offset, page_no = paging.resume_offset(
        query.cursor, page=query.page, page_size=size, query=query_id, kind=kind
    )
    base = base_url(request)
    results = [
        {
            "name": name,
            "articles": n,
            "links": {"articles": f"{base}/api/v1/articles?{param}={present.quote(name)}"},
        }
        for name, n in counts[offset : offset + size]
    ]
    return json_response(
        paging.envelope(
            total=len(counts),
            page=page_no,
            page_size=size,
            results=results,
            next_cursor=paging.next_offset(
                offset=offset, page=page_no, page_size=size, total=len(counts), query=query_id
            ),
        )
    )


@router.get("/sources", response_model=NameList, responses=errors(*READ_ERRORS))
def list_sources(
    request: Request, archive: ArchiveDep, query: Annotated[NameQuery, Depends(name_query)]
) -> Any:
    """Every source with its number of articles, largest first."""
    found = archive_counts.source_counts(archive)
    if query.q:
        found = [(s, n) for s, n in found if query.q.casefold() in s.casefold()]
    return _name_list(request, found, query, kind="sources", param="source")


@router.get("/authors", response_model=NameList, responses=errors(*READ_ERRORS))
def list_authors(
    request: Request, archive: ArchiveDep, query: Annotated[NameQuery, Depends(name_query)]
) -> Any:
    """Every author and contributor with their number of articles, largest first."""
    found = archive_counts.person_counts(archive, name_contains=query.q)
    return _name_list(request, found, query, kind="authors", param="author")


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


@health_router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "The archive cannot serve: see problems"}},
)
def get_health(archive: ArchiveDep) -> Any:
    """Status, article count, index document count, whether they agree, and every problem by
    its code (never needs a token, for monitoring). 503 when the archive cannot serve (index
    damaged or being rebuilt, disk full, data folder read-only, database unreachable)."""
    data = health(archive)
    return json_response(data, status_code=503 if data["status"] == "unavailable" else 200)
