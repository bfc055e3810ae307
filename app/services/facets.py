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
from app.search.base import FacetField, SearchFilters
from app.search.query import QuerySyntaxError
from app.search.stopwords import parse_search
from app.services.counts import remembered
from app.services.searching import InvalidParameter, SearchParams

FACETS = ("source", "author", "year", "month")
INTERVALS = ("auto", "day", "month", "year")
Interval = Literal["day", "month", "year"]
MAX_FACET_VALUES = 50
# "auto" picks the finest interval that keeps the chart readable.
MAX_AUTO_BUCKETS = 120
MAX_BUCKETS = 5000


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
) -> SearchSummary:
    """Facet counts over all the search's matches (sources and authors most first, years and
    months in date order) and its histogram, from one pass of the backend."""
    fields: list[FacetField] = []
    if "source" in facets:
        fields += ["source", "no_source"]
    if "author" in facets:
        fields += ["author", "no_author"]
    if interval is not None or "year" in facets or "month" in facets:
        fields.append("day")
    raw = (
        archive.search.facet_counts(parse_search(params.q), _filters(params), fields=tuple(fields))
        if fields
        else {}
    )
    days = _days(raw.get("day", {}))
    named = _labels(archive) if {"source", "author"} & set(facets) else {}
    out: dict[str, list[FacetValue]] = {}
    for facet in facets:
        if facet in ("source", "author"):
            merged: Counter[str] = Counter()
            for key, count in raw.get(facet, {}).items():  # type: ignore[call-overload]
                merged[" ".join(key.split()).casefold()] += count
            top = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
            out[facet] = [FacetValue(named[facet].get(k, k), n) for k, n in top]
        else:
            width = 4 if facet == "year" else 7
            per: Counter[str] = Counter()
            for day, count in days.items():
                per[day.isoformat()[:width]] += count
            out[facet] = [FacetValue(k, per[k]) for k in sorted(per)]
    histogram = _histogram(days, interval) if interval is not None else None
    missing = {}
    if "source" in facets:
        missing["source"] = raw.get("no_source", {}).get("", 0)
    if "author" in facets:
        missing["author"] = raw.get("no_author", {}).get("", 0)
    return SearchSummary(out, histogram, missing)


def search_facets(
    archive: Archive, *, params: SearchParams, facets: Sequence[str], limit: int = MAX_FACET_VALUES
) -> dict[str, list[FacetValue]]:
    """Counts of the search's matches per value of each facet asked for."""
    return search_summary(archive, params=params, facets=facets, limit=limit).facets


def search_histogram(archive: Archive, *, params: SearchParams, interval: str) -> Histogram:
    """Matches per day, month or year ("auto": chosen from the span), gaps filled with zeros."""
    histogram = search_summary(archive, params=params, interval=interval).histogram
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


def archive_counts(archive: Archive, *, params: SearchParams, histogram: Histogram) -> list[int]:
    """All the archive's articles (under `params`' filters, whatever the query) in each of
    `histogram`'s periods: says whether an empty stretch had nothing to match."""
    if not histogram.buckets:
        return []
    filters = _filters(params)
    span = (histogram.buckets[0].start, histogram.buckets[-1].end)

    def count() -> list[int]:
        days = _days(archive.search.facet_counts(None, filters, fields=("day",))["day"])
        return [b.count for b in _histogram(days, histogram.interval, span).buckets]

    # Remembered per filters and axis until the next write: most searches share one axis.
    return remembered(archive, ("archive-counts", filters, histogram.interval, span), count)


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
    archive: Archive, *, params: SearchParams, queries: Sequence[str], interval: str
) -> Comparison:
    """Matches per period for up to three queries on one time axis, each also as a share of all
    articles in that period (so a busy month does not look like more attention)."""
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
    everything = _days(archive.search.facet_counts(None, filters, fields=("day",))["day"])
    matched = [day for days in per_query for day in days]
    if not matched:
        chosen = "month" if interval == "auto" else interval
        empty = [Series(q, 0, [], []) for q in queries]
        return Comparison(chosen, [], empty)  # type: ignore[arg-type]
    span = (min(matched), max(matched))
    base = _histogram(everything, interval, span)
    series = []
    for q, days in zip(queries, per_query, strict=True):
        counts = [b.count for b in _histogram(days, base.interval, span).buckets]
        shares = [
            round(c / b.count, 6) if b.count else None
            for c, b in zip(counts, base.buckets, strict=True)
        ]
        series.append(Series(q, sum(days.values()), counts, shares))
    return Comparison(base.interval, base.buckets, series)
