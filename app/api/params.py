"""The query parameters of the list and search endpoints, declared once: each dependency here is
both what the OpenAPI spec documents and the parsed value its route reads (no route re-reads the
raw query string). Values go through the same `search_params` as the pages, so both accept the
same spellings and give the same errors."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Annotated

from fastapi import Query, Request

from app.api.common import (
    Author,
    BeginDate,
    Cursor,
    EndDate,
    Fields,
    From,
    FromDate,
    Lang,
    Page,
    PageSize,
    PageSizeAlias,
    Q,
    Source,
    To,
    ToDate,
    parse_fields,
)
from app.http.params import QueryArgs, check_length, page_params, search_params
from app.services.facets import Count, parse_count, parse_facets, parse_interval
from app.services.searching import InvalidParameter, SearchParams

SUMMARY_FIELDS = ("id", "title", "date", "source", "authors", "url", "links", "language")
SEARCH_FIELDS = (*SUMMARY_FIELDS, "snippet", "score", "similar", "story_id", "copies", "story")

Sort = Annotated[
    str | None,
    Query(description="relevance, newest or oldest", examples=["newest"]),
]
ListSort = Annotated[
    str | None, Query(description="newest (default) or oldest", examples=["oldest"])
]
OrderBy = Annotated[str | None, Query(alias="order-by", description="Guardian alias of `sort`")]
Facets = Annotated[
    str | None,
    Query(
        description="Comma-separated facets to count over all matches: source, author, year, "
        "month, language",
        examples=["source,author,year"],
    ),
]
HistogramParam = Annotated[
    str | None,
    Query(description="Matches per period: day, month, year or auto", examples=["month"]),
]
Collapse = Annotated[
    str | None,
    Query(
        description="`story`: one result per story across the whole result set (its "
        "best-ranked copy, with `copies` and a `story` link; `total`, pages and cursors then "
        "count stories). `true`: fold near-duplicates on this page only under their "
        "best-ranked copy (`similar`). `false` (the default): no folding.",
        examples=["story"],
    ),
]
CountParam = Annotated[
    str | None,
    Query(
        description="What `facets` and `histogram` count: `articles` (the default: every "
        "matching copy) or `stories` (each story once per value or period, however many "
        "copies match). The response says which in `count`.",
        examples=["stories"],
    ),
]
_COLLAPSE_TRUE = {"true", "1", "yes", "on"}
_COLLAPSE_FALSE = {"false", "0", "no", "off", ""}
NameQ = Annotated[str | None, Query(max_length=200, description="Only names containing this text")]
Queries = Annotated[
    list[str] | None,
    Query(description="One to three queries to compare (repeat q)", examples=[["oil"]]),
]
Interval = Annotated[str, Query(description="day, month, year or auto", examples=["month"])]
ExportFormat = Annotated[str, Query(description="ndjson or csv", examples=["csv"])]
HistogramFormat = Annotated[str, Query(description="json or csv", examples=["csv"])]

# Spellings accepted (as on the pages) but not documented; strings, so that a bad value gets
# the same bad_parameter error from search_params as its documented twin.
FromSnake = Annotated[str | None, Query(alias="from_date", include_in_schema=False)]
ToSnake = Annotated[str | None, Query(alias="to_date", include_in_schema=False)]
FromDashed = Annotated[str | None, Query(alias="from-date", include_in_schema=False)]
ToDashed = Annotated[str | None, Query(alias="to-date", include_in_schema=False)]
BeginHidden = Annotated[str | None, Query(alias="begin_date", include_in_schema=False)]
EndHidden = Annotated[str | None, Query(alias="end_date", include_in_schema=False)]
OrderSnake = Annotated[str | None, Query(alias="order_by", include_in_schema=False)]
OrderDashed = Annotated[str | None, Query(alias="order-by", include_in_schema=False)]
PageSizeCamel = Annotated[str | None, Query(alias="pageSize", include_in_schema=False)]

Pair = tuple[str, str | int | list[str] | None]


def _args(*pairs: Pair) -> QueryArgs:
    """The declared values as the (key, value) items `search_params` reads."""
    items: list[tuple[str, str]] = []
    for key, value in pairs:
        if value is not None:
            items += [(key, str(v)) for v in (value if isinstance(value, list) else [value])]
    return QueryArgs(items)


@dataclass(frozen=True)
class SearchQuery:
    params: SearchParams
    cursor: str | None
    fields: tuple[str, ...] | None
    facets: tuple[str, ...]
    interval: str | None
    collapse: bool
    by_story: bool = False
    count: Count = "articles"


def parse_collapse(value: str | None) -> tuple[bool, bool]:
    """(fold this page, fold by story) from `collapse`."""
    text = (value or "").strip().lower()
    if text == "story":
        return False, True
    if text in _COLLAPSE_TRUE or text in _COLLAPSE_FALSE:
        return text in _COLLAPSE_TRUE, False
    raise InvalidParameter("collapse", "collapse must be story, true or false")


def search_query(
    request: Request,
    q: Q = None,
    from_: From = None,
    from_date: FromDate = None,
    begin_date: BeginDate = None,
    to: To = None,
    to_date: ToDate = None,
    end_date: EndDate = None,
    source: Source = None,
    author: Author = None,
    lang: Lang = None,
    sort: Sort = None,
    order_by: OrderBy = None,
    page: Page = None,
    page_size: PageSize = None,
    page_size_alias: PageSizeAlias = None,
    cursor: Cursor = None,
    fields: Fields = None,
    facets: Facets = None,
    histogram: HistogramParam = None,
    collapse: Collapse = None,
    count: CountParam = None,
    from_snake: FromSnake = None,
    to_snake: ToSnake = None,
    order_snake: OrderSnake = None,
    page_size_camel: PageSizeCamel = None,
) -> SearchQuery:
    """/search's parameters."""
    selected = parse_fields(fields, SEARCH_FIELDS)
    facet_names = parse_facets(facets)
    interval = parse_interval(histogram) if histogram is not None else None
    unit = parse_count(count)
    args = _args(
        ("q", q),
        ("from", from_),
        ("from-date", from_date),
        ("from_date", from_snake),
        ("begin_date", begin_date),
        ("to", to),
        ("to-date", to_date),
        ("to_date", to_snake),
        ("end_date", end_date),
        ("source", source),
        ("author", author),
        ("lang", lang),
        ("sort", sort),
        ("order-by", order_by),
        ("order_by", order_snake),
        ("page", page),
        ("page_size", page_size),
        ("page-size", page_size_alias),
        ("pageSize", page_size_camel),
    )
    params = search_params(args, request.app.state.settings)
    page_fold, by_story = parse_collapse(collapse)
    if by_story:
        params = dataclasses.replace(params, by_story=True)
    return SearchQuery(
        params, cursor, selected, facet_names, interval, page_fold, by_story, count=unit
    )


@dataclass(frozen=True)
class ListQuery:
    params: SearchParams
    cursor: str | None
    fields: tuple[str, ...] | None


def list_query(
    request: Request,
    from_: From = None,
    from_date: FromDate = None,
    begin_date: BeginDate = None,
    to: To = None,
    to_date: ToDate = None,
    end_date: EndDate = None,
    source: Source = None,
    author: Author = None,
    lang: Lang = None,
    sort: ListSort = None,
    order_by: OrderBy = None,
    page: Page = None,
    page_size: PageSize = None,
    page_size_alias: PageSizeAlias = None,
    cursor: Cursor = None,
    fields: Fields = None,
    from_snake: FromSnake = None,
    to_snake: ToSnake = None,
    order_snake: OrderSnake = None,
    page_size_camel: PageSizeCamel = None,
) -> ListQuery:
    """/articles' parameters: the search filters in date order, without a query."""
    selected = parse_fields(fields, SUMMARY_FIELDS)
    args = _args(
        ("from", from_),
        ("from-date", from_date),
        ("from_date", from_snake),
        ("begin_date", begin_date),
        ("to", to),
        ("to-date", to_date),
        ("to_date", to_snake),
        ("end_date", end_date),
        ("source", source),
        ("author", author),
        ("lang", lang),
        ("sort", sort),
        ("order-by", order_by),
        ("order_by", order_snake),
        ("page", page),
        ("page_size", page_size),
        ("page-size", page_size_alias),
        ("pageSize", page_size_camel),
    )
    params = search_params(args, request.app.state.settings, default_sort="newest")
    if params.sort == "relevance":
        raise InvalidParameter("sort", "articles are listed newest or oldest first")
    params.check_dates()
    return ListQuery(params, cursor, selected)


def _filters(
    from_: str | None,
    to: str | None,
    source: list[str] | None,
    author: list[str] | None,
    lang: list[str] | None,
    *hidden: Pair,
) -> list[Pair]:
    return [
        ("from", from_),
        ("to", to),
        ("source", source),
        ("author", author),
        ("lang", lang),
        *hidden,
    ]


@dataclass(frozen=True)
class ExportQuery:
    params: SearchParams
    format: str


def export_query(
    request: Request,
    q: Q = None,
    from_: From = None,
    to: To = None,
    source: Source = None,
    author: Author = None,
    lang: Lang = None,
    sort: Sort = None,
    format: ExportFormat = "ndjson",
    from_dashed: FromDashed = None,
    from_snake: FromSnake = None,
    begin_date: BeginHidden = None,
    to_dashed: ToDashed = None,
    to_snake: ToSnake = None,
    end_date: EndHidden = None,
    order_dashed: OrderDashed = None,
    order_snake: OrderSnake = None,
) -> ExportQuery:
    """/search/export's parameters (every match: no paging)."""
    hidden: list[Pair] = [
        ("from-date", from_dashed),
        ("from_date", from_snake),
        ("begin_date", begin_date),
        ("to-date", to_dashed),
        ("to_date", to_snake),
        ("end_date", end_date),
        ("order-by", order_dashed),
        ("order_by", order_snake),
    ]
    args = _args(("q", q), *_filters(from_, to, source, author, lang, *hidden), ("sort", sort))
    return ExportQuery(search_params(args, request.app.state.settings), format.strip().lower())


@dataclass(frozen=True)
class CompareQuery:
    params: SearchParams  # the filters; the queries are compared under them
    queries: list[str]
    interval: str
    format: str
    count: Count = "articles"


def compare_query(
    request: Request,
    q: Queries = None,
    from_: From = None,
    to: To = None,
    source: Source = None,
    author: Author = None,
    lang: Lang = None,
    interval: Interval = "auto",
    format: HistogramFormat = "json",
    count: CountParam = None,
    from_dashed: FromDashed = None,
    from_snake: FromSnake = None,
    begin_date: BeginHidden = None,
    to_dashed: ToDashed = None,
    to_snake: ToSnake = None,
    end_date: EndHidden = None,
) -> CompareQuery:
    """/search/histogram's parameters: up to three queries and the filters they share."""
    fmt = format.strip().lower()
    if fmt not in ("json", "csv"):
        raise InvalidParameter("format", "format must be json or csv")
    hidden: list[Pair] = [
        ("from-date", from_dashed),
        ("from_date", from_snake),
        ("begin_date", begin_date),
        ("to-date", to_dashed),
        ("to_date", to_snake),
        ("end_date", end_date),
    ]
    args = _args(*_filters(from_, to, source, author, lang, *hidden))
    params = search_params(args, request.app.state.settings)
    queries = [check_length("q", v.strip()) or "" for v in q or [] if v.strip()]
    chosen = parse_interval(interval, param="interval")
    return CompareQuery(params, queries, chosen, fmt, count=parse_count(count))


@dataclass(frozen=True)
class NameQuery:
    q: str | None
    page: int
    page_size: int
    cursor: str | None


def name_query(
    request: Request,
    q: NameQ = None,
    page: Page = None,
    page_size: PageSize = None,
    page_size_alias: PageSizeAlias = None,
    cursor: Cursor = None,
    page_size_camel: PageSizeCamel = None,
) -> NameQuery:
    """/sources' and /authors' parameters."""
    args = _args(
        ("page", page),
        ("page_size", page_size),
        ("page-size", page_size_alias),
        ("pageSize", page_size_camel),
    )
    page_no, size = page_params(args, request.app.state.settings)
    return NameQuery(q, page_no, size, cursor)
