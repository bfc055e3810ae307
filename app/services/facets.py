"""Facet counts and the date histogram of a search: the same query and filters as the results."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import func, select

from app.archive import Archive
from app.models import Article, ArticlePerson
from app.search.base import FacetField, SearchFilters, SearchRequest, StoryField
from app.search.query import Node, QuerySyntaxError
from app.search.stopwords import parse_search
from app.services.counts import remembered
from app.services.searching import InvalidParameter, SearchParams

FACETS = ("source", "author", "year", "month", "language")
INTERVALS = ("auto", "day", "month", "year")
Interval = Literal["day", "month", "year"]
MAX_FACET_VALUES = 50
# "auto" picks the finest interval that keeps the chart readable.
MAX_AUTO_BUCKETS = 120
MAX_BUCKETS = 5000
# What counts count (`count=`): every matching article, or each story once (its copies folded).
COUNTS = ("articles", "stories")
Count = Literal["articles", "stories"]


@dataclass(frozen=True)
class FacetValue:
    value: str  # what to filter by: a name, YYYY or YYYY-MM
    count: int


@dataclass(frozen=True)
class Bucket:
    start: dt.date
    end: dt.date
    key: str  # YYYY, YYYY-MM or YYYY-MM-DD
    count: int


@dataclass(frozen=True)
class Histogram:
    interval: Interval
    buckets: list[Bucket]


def parse_facets(value: str | None) -> tuple[str, ...]:
    """`source,author,year` -> the named facets, or InvalidParameter naming the unknown one."""
    names: list[str] = []
    for part in (value or "").split(","):
        name = part.strip().lower()
        if not name:
            continue
        if name not in FACETS:
            raise InvalidParameter(
                "facets", f"facets: unknown facet {part!r}; choose from {', '.join(FACETS)}"
            )
        if name not in names:
            names.append(name)
    return tuple(names)


def parse_interval(value: str, *, param: str = "histogram") -> str:
    """An interval (`histogram=`, or `interval=` when comparing): auto, day, month or year."""
    name = value.strip().lower()
    if name not in INTERVALS:
        raise InvalidParameter(
            param, f"{param} must be one of {', '.join(INTERVALS)}, not {value!r}"
        )
    return name


def parse_count(value: str | None) -> Count:
    """`count=`: articles (the default) or stories."""
    name = (value or "articles").strip().lower()
    if name not in COUNTS:
        raise InvalidParameter("count", f"count must be articles or stories, not {value!r}")
    return name  # type: ignore[return-value]


def _filters(params: SearchParams) -> SearchFilters:
    params.check_dates()
    return params.filters


def _days(counts: dict[str, int]) -> dict[dt.date, int]:
    return {dt.date.fromisoformat(k): n for k, n in counts.items()}


def _labels(archive: Archive) -> dict[str, dict[str, str]]:
    """Display names of case-folded source and author keys, remembered until the next write
    (one fingerprint query per results page, not one per facet)."""
    return remembered(
        archive,
        "facet-labels",
        lambda: {facet: _all_labels(archive, facet) for facet in ("source", "author")},
    )


def _all_labels(archive: Archive, facet: str) -> dict[str, str]:
    """Every case-folded key's display name: its most common spelling in the archive; on a tie
    the first in code-point order ("Reuters" before "reuters"), whatever order rows come in.
    One GROUP BY over the archive, remembered until the next write (it was a scan per page)."""
    column = Article.source if facet == "source" else ArticlePerson.name
    with archive.read_sessions() as session:
        rows = session.execute(
            select(column, func.count()).where(column.is_not(None)).group_by(column)
        ).all()
    labels: dict[str, tuple[int, str]] = {}
    for name, count in rows:
        key = " ".join(str(name).split()).casefold()
        best = labels.get(key)
        if best is None or count > best[0] or (count == best[0] and str(name) < best[1]):
            labels[key] = (count, str(name))
    return {k: v[1] for k, v in labels.items()}


@dataclass
class SearchSummary:
    facets: dict[str, list[FacetValue]]
    histogram: Histogram | None
    # Source and author facets: matches without a value ("(no source)", "(no author)").
    missing: dict[str, int] = field(default_factory=dict)


def search_summary(
    archive: Archive,
    *,
    params: SearchParams,
    facets: Sequence[str] = (),
    interval: str | None = None,
    limit: int = MAX_FACET_VALUES,
    count: Count = "articles",
) -> SearchSummary:
    """Facet counts over all the search's matches (sources and authors most first, years and
    months in date order) and its histogram, from one pass of the backend; with
    count="stories" each value counts stories (a story's copies once per value)."""
    fields: list[FacetField] = []
    if "source" in facets:
        fields += ["source", "no_source"]
    if "author" in facets:
        fields += ["author", "no_author"]
    if "language" in facets:
        fields.append("language")
    if interval is not None or "year" in facets or "month" in facets:
        fields.append("day")
    node, filters = parse_search(params.q), _filters(params)
    raw: dict[StoryField, dict[str, int]]
    if count == "stories":
        wanted: tuple[StoryField, ...] = tuple(fields)
        wanted += _story_periods(facets, interval)
        raw = archive.search.story_counts(node, filters, fields=wanted) if wanted else {}
    else:
        raw = archive.search.facet_counts(node, filters, fields=tuple(fields)) if fields else {}  # type: ignore[assignment]
    days = _days(raw.get("day", {}))
    named = _labels(archive) if {"source", "author"} & set(facets) else {}
    out: dict[str, list[FacetValue]] = {}
    for facet in facets:
        if facet in ("source", "author"):
            merged: Counter[str] = Counter()
            for key, n in raw.get(facet, {}).items():  # type: ignore[call-overload]
                merged[" ".join(key.split()).casefold()] += n
            top = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
            out[facet] = [FacetValue(named[facet].get(k, k), n) for k, n in top]
        elif facet == "language":
            counted = raw.get("language", {})
            ranked = sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
            out[facet] = [FacetValue(k, n) for k, n in ranked]
        elif count == "stories":  # a story in two days of one month is one story that month
            per_period = raw.get(facet, {})  # type: ignore[call-overload]
            out[facet] = [FacetValue(k, per_period[k]) for k in sorted(per_period)]
        else:
            width = 4 if facet == "year" else 7
            per: Counter[str] = Counter()
            for day, n in days.items():
                per[day.isoformat()[:width]] += n
            out[facet] = [FacetValue(k, per[k]) for k in sorted(per)]
    histogram = None
    if interval is not None:
        histogram = (
            _story_histogram(raw, interval) if count == "stories" else _histogram(days, interval)
        )
    missing = {}
    if "source" in facets:
        missing["source"] = raw.get("no_source", {}).get("", 0)
    if "author" in facets:
        missing["author"] = raw.get("no_author", {}).get("", 0)
    return SearchSummary(out, histogram, missing)


def search_facets(
    archive: Archive,
    *,
    params: SearchParams,
    facets: Sequence[str],
    limit: int = MAX_FACET_VALUES,
    count: Count = "articles",
) -> dict[str, list[FacetValue]]:
    """Counts of the search's matches per value of each facet asked for."""
    return search_summary(archive, params=params, facets=facets, limit=limit, count=count).facets


def search_histogram(
    archive: Archive, *, params: SearchParams, interval: str, count: Count = "articles"
) -> Histogram:
    """Matches per day, month or year ("auto": chosen from the span), gaps filled with zeros."""
    histogram = search_summary(archive, params=params, interval=interval, count=count).histogram
    assert histogram is not None
    return histogram


def _bucket_start(day: dt.date, interval: Interval) -> dt.date:
    if interval == "year":
        return day.replace(month=1, day=1)
    if interval == "month":
        return day.replace(day=1)
    return day


def _next_start(start: dt.date, interval: Interval) -> dt.date:
    if interval == "year":
        return start.replace(year=start.year + 1)
    if interval == "month":
        return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start + dt.timedelta(days=1)


def _auto(first: dt.date, last: dt.date) -> Interval:
    if (last - first).days < MAX_AUTO_BUCKETS:
        return "day"
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    return "month" if months <= MAX_AUTO_BUCKETS else "year"


def _histogram(
    days: dict[dt.date, int], interval: str, span: tuple[dt.date, dt.date] | None = None
) -> Histogram:
    if not days and span is None:
        return Histogram("month" if interval == "auto" else interval, [])  # type: ignore[arg-type]
    first, last = span or (min(days), max(days))
    chosen: Interval = _auto(first, last) if interval == "auto" else interval  # type: ignore[assignment]
    sizes = {"day": (last - first).days, "month": (last.year - first.year) * 12, "year": 0}
    if sizes[chosen] + (last.year - first.year) > MAX_BUCKETS:
        raise InvalidParameter(
            "histogram",
            f"histogram: more than {MAX_BUCKETS} {chosen}s; narrow the dates or ask for months",
        )
    per: Counter[dt.date] = Counter()
    for day, count in days.items():
        per[_bucket_start(day, chosen)] += count
    width = {"year": 4, "month": 7, "day": 10}[chosen]
    buckets = []
    start = _bucket_start(first, chosen)
    while start <= last:
        following = _next_start(start, chosen)
        key = start.isoformat()[:width]
        buckets.append(Bucket(start, following - dt.timedelta(days=1), key, per[start]))
        start = following
    return Histogram(chosen, buckets)


def archive_counts(
    archive: Archive, *, params: SearchParams, histogram: Histogram, count: Count = "articles"
) -> list[int]:
    """All the archive's articles (or stories) (under `params`' filters, whatever the query) in
    each of `histogram`'s periods: says whether an empty stretch had nothing to match."""
    if not histogram.buckets:
        return []
    filters = _filters(params)
    span = (histogram.buckets[0].start, histogram.buckets[-1].end)

    def counted() -> list[int]:
        per = _period_counts(archive, None, filters, histogram.interval, count)
        return [b.count for b in _histogram(per, histogram.interval, span).buckets]

    # Remembered per filters and axis until the next write: most searches share one axis.
    key = ("archive-counts", filters, histogram.interval, span, count)
    return remembered(archive, key, counted)


@dataclass(frozen=True)
class Series:
    q: str | None
    total: int
    counts: list[int]
    # Matches as a share of all the archive's articles (same filters) in each period.
    shares: list[float | None]


@dataclass(frozen=True)
class Comparison:
    interval: Interval
    buckets: list[Bucket]  # counts of all articles in each period (the normaliser)
    series: list[Series]


MAX_COMPARED = 3


def compare_histograms(
    archive: Archive,
    *,
    params: SearchParams,
    queries: Sequence[str],
    interval: str,
    count: Count = "articles",
) -> Comparison:
    """Matches per period for up to three queries on one time axis, each also as a share of all
    articles in that period (so a busy month does not look like more attention); with
    count="stories", stories matched as a share of all stories."""
    if not 1 <= len(queries) <= MAX_COMPARED:
        raise InvalidParameter("q", f"compare 1 to {MAX_COMPARED} queries")
    nodes = []
    for number, q in enumerate(queries, 1):
        try:
            nodes.append(parse_search(q))
        except QuerySyntaxError as exc:  # say which of the searches it is
            raise QuerySyntaxError(f"search {number} ({q}): {exc}", hint=exc.hint) from exc
    filters = _filters(params)
    per_query = [
        _days(archive.search.facet_counts(node, filters, fields=("day",))["day"]) for node in nodes
    ]
    matched = [day for days in per_query for day in days]
    if not matched:
        chosen = "month" if interval == "auto" else interval
        empty = [Series(q, 0, [], []) for q in queries]
        return Comparison(chosen, [], empty)  # type: ignore[arg-type]
    span = (min(matched), max(matched))
    chosen = _histogram({}, interval, span).interval
    if count == "stories":  # the days above give the axis; stories are counted per period
        per_query = [_period_counts(archive, node, filters, chosen, count) for node in nodes]
    everything = _period_counts(archive, None, filters, chosen, count)
    base = _histogram(everything, chosen, span)
    series = []
    for q, node, days in zip(queries, nodes, per_query, strict=True):
        counts = [b.count for b in _histogram(days, base.interval, span).buckets]
        shares = [
            round(c / b.count, 6) if b.count else None
            for c, b in zip(counts, base.buckets, strict=True)
        ]
        total = sum(days.values()) if count == "articles" else _stories(archive, node, filters)
        series.append(Series(q, total, counts, shares))
    return Comparison(base.interval, base.buckets, series)


def _story_periods(facets: Sequence[str], interval: str | None) -> tuple[StoryField, ...]:
    """The periods stories must be counted per (not summed from days: a story on two days of a
    month is one story in it) for these facets and this histogram ("auto": any of them)."""
    wanted: list[StoryField] = [f for f in ("year", "month") if f in facets]
    if interval in ("month", "year", "auto"):
        wanted += ["month", "year"] if interval == "auto" else [interval]  # type: ignore[list-item]
    return tuple(dict.fromkeys(wanted))


def _period_starts(counted: dict[str, int], period: Interval) -> dict[dt.date, int]:
    """YYYY, YYYY-MM or YYYY-MM-DD keys as the first day of their period."""
    pad = {"year": "-01-01", "month": "-01", "day": ""}[period]
    return {dt.date.fromisoformat(k + pad): n for k, n in counted.items()}


def _story_histogram(raw: dict[StoryField, dict[str, int]], interval: str) -> Histogram:
    """The histogram of stories: its axis from the matched days, each period's count the
    backend's distinct stories in that period (keyed by the period's first day, which
    `_histogram` puts in that same period)."""
    days = _days(raw.get("day", {}))
    if not days:
        return _histogram({}, interval)
    span = (min(days), max(days))
    chosen = _histogram({}, interval, span).interval
    return _histogram(_period_starts(raw.get(chosen, {}), chosen), chosen, span)


def _period_counts(
    archive: Archive, node: Node | None, filters: SearchFilters, period: Interval, count: Count
) -> dict[dt.date, int]:
    """Matching articles per day, or stories per `period` keyed by its first day."""
    if count == "articles":
        return _days(archive.search.facet_counts(node, filters, fields=("day",))["day"])
    counted = archive.search.story_counts(node, filters, fields=(period,))[period]
    return _period_starts(counted, period)


def _stories(archive: Archive, node: Node | None, filters: SearchFilters) -> int:
    """The number of stories matching (the folded search's exact total)."""
    return archive.search.search(SearchRequest(node, filters, limit=0, fold_stories=True)).total
