"""The comparison page: up to three queries on one time axis, each drawn as its share of all the
archive's articles in each period (what Media Cloud calls attention over time), so that a busy
month does not look like more attention. Lines are SVG drawn on the server, with axes
(app/web/charts.py); a table under the chart holds the same numbers for screen readers and for
copying."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.archive import Archive
from app.http.deps import ArchiveDep
from app.http.params import (
    MAX_FILTER_CHARS,
    MAX_QUERY_CHARS,
    QueryArgs,
    check_length,
    search_params,
)
from app.http.templating import render
from app.search.query import QuerySyntaxError
from app.services.facets import (
    MAX_COMPARED,
    Comparison,
    Count,
    compare_histograms,
    parse_count,
    parse_interval,
)
from app.services.searching import InvalidParameter, SearchParams
from app.web import charts

router = APIRouter(tags=["pages"])

FILTERS = ("from", "to", "source", "author")
INTERVAL_CHOICES = (("auto", "Automatic"), ("day", "Days"), ("month", "Months"), ("year", "Years"))
COUNT_CHOICES = (("articles", "Articles"), ("stories", "Stories (copies once)"))


@dataclass
class Line:
    query: str
    total: int
    segments: list[str]  # SVG polyline points; a period without articles breaks the line
    href: str  # the query's own search


@dataclass
class Row:
    period: str
    articles: int
    cells: list[tuple[int, str]]  # per query: matches, share as a percentage


@dataclass
class Column:
    """One period's hover area: every search's value in words."""

    x: float
    width: float
    label: str


@dataclass
class CompareView:
    interval: str = ""
    unit: str = "articles"  # what is counted: articles, or stories (count=stories)
    lines: list[Line] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    top_percent: str = ""  # the chart's top edge
    first: str = ""
    last: str = ""
    csv: str = ""
    xticks: list[charts.XTick] = field(default_factory=list)
    yticks: list[charts.YTick] = field(default_factory=list)
    gaps: list[charts.Gap] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    inner_width: int = 0
    height: int = charts.CHART_HEIGHT
    plot_top: int = charts.PLOT_TOP
    plot_height: int = charts.PLOT_HEIGHT
    baseline: int = charts.BASELINE


def _percent(share: float) -> str:
    return f"{share * 100:.2f}"


def compare_view(
    archive: Archive,
    *,
    params: SearchParams,
    queries: list[str],
    interval: str,
    filters: list[tuple[str, str]],
    count: Count = "articles",
) -> CompareView:
    """The chart, legend and table for `queries` under `params`' filters (raises
    InvalidParameter or QuerySyntaxError like the API). `filters` are the page's own filter
    parameters, kept in the legend's search links and the CSV link."""
    result: Comparison = compare_histograms(
        archive, params=params, queries=queries, interval=interval, count=count
    )
    view = CompareView(interval=result.interval, unit=count)
    view.csv = "/api/v1/search/histogram?" + urlencode(
        [
            *(("q", q) for q in queries),
            *filters,
            ("interval", interval),
            ("format", "csv"),
            *_counting(count),
        ]
    )
    shares = [s for series in result.series for s in series.shares if s is not None]
    top, step = charts.nice_top(max(shares, default=0.0), integer=False)

    def point(i: int, share: float) -> str:
        x = (i + 0.5) * charts.UNIT
        return f"{x:.1f},{charts.PLOT_HEIGHT * (1 - share / top):.1f}"

    for series in result.series:
        segments: list[str] = []
        current: list[str] = []
        for i, share in enumerate(series.shares):
            if share is None:
                if current:
                    segments.append(" ".join(current))
                current = []
            else:
                current.append(point(i, share))
        if current:
            segments.append(" ".join(current))
        href = "/search?" + urlencode([("q", series.q or ""), *filters])
        view.lines.append(Line(series.q or "", series.total, segments, href))
    for j, bucket in enumerate(result.buckets):
        cells = []
        for series in result.series:
            share = series.shares[j]
            cells.append((series.counts[j], "" if share is None else _percent(share)))
        view.rows.append(Row(bucket.key, bucket.count, cells))
    if result.buckets:
        keys = [b.key for b in result.buckets]
        view.first, view.last = charts.period_label(keys[0]), charts.period_label(keys[-1])
        view.top_percent = _percent(top if shares else 0.0)
        view.xticks = charts.x_ticks(keys)
        view.yticks = charts.y_ticks(top, step, charts.percent_label)
        view.gaps = charts.gaps(keys, [b.count for b in result.buckets])
        view.inner_width = len(keys) * charts.UNIT
        view.columns = [
            Column(j * charts.UNIT, charts.UNIT, _column_label(view, j)) for j in range(len(keys))
        ]
    return view


def _column_label(view: CompareView, j: int) -> str:
    row = view.rows[j]
    period = charts.period_label(row.period)
    if not row.articles:
        return f"{period}: no {view.unit} in the archive"
    values = [
        f"{line.query} {percent or '0.00'} % ({count:,})"
        for line, (count, percent) in zip(view.lines, row.cells, strict=True)
    ]
    return f"{period}: " + "; ".join(values) + f" of {_counted(row.articles, view.unit)}"


def _counting(unit: str) -> list[tuple[str, str]]:
    """`count` for a link: only when not the default, so default links stay as they were."""
    return [] if unit == "articles" else [("count", unit)]


def _counted(n: int, unit: str) -> str:
    if unit == "stories":
        return f"{n:,} {'story' if n == 1 else 'stories'}"
    return f"{n:,} article{'' if n == 1 else 's'}"


@router.get("/compare", response_class=HTMLResponse, include_in_schema=False)
def compare_page(request: Request, archive: ArchiveDep) -> Response:
    items = list(request.query_params.multi_items())
    queries = [v.strip() for k, v in items if k == "q" and v.strip()]
    filters = [(k, v.strip()) for k, v in items if k in FILTERS and v.strip()]
    chosen = request.query_params.get("interval") or "auto"
    unit = request.query_params.get("count") or "articles"
    error, view = None, None
    try:
        for text in queries:
            check_length("q", text)
        interval = parse_interval(chosen, param="interval")
        params = dataclasses.replace(search_params(QueryArgs(filters), archive.settings), q=None)
        if queries:
            view = compare_view(
                archive,
                params=params,
                queries=queries,
                interval=interval,
                filters=filters,
                count=parse_count(unit),
            )
    except (QuerySyntaxError, InvalidParameter) as exc:
        error = (
            str(exc) if isinstance(exc, InvalidParameter) else f"We could not read a query: {exc}"
        )
        if isinstance(exc, QuerySyntaxError) and exc.hint:
            error += f". To fix it: {exc.hint}."
    form = {k: request.query_params.get(k, "")[:MAX_FILTER_CHARS] for k in FILTERS}
    queries = [text[:MAX_QUERY_CHARS] for text in queries]  # echoed in the form, bounded
    api = "/api/v1/search/histogram?" + urlencode(
        [*(("q", q) for q in queries), *filters, ("interval", chosen), *_counting(unit)]
    )
    return render(
        request,
        "compare.html",
        status=400 if error else 200,
        q="",  # the header's search box: these queries are in the form below it
        alternate=api if queries else None,
        view=view,
        error=error,
        form=form,
        queries=[*queries, *[""] * MAX_COMPARED][:MAX_COMPARED],
        interval=chosen,
        intervals=INTERVAL_CHOICES,
        unit=unit,
        units=COUNT_CHOICES,
    )


__all__ = ["MAX_COMPARED", "CompareView", "compare_view", "router"]
