"""What the search page shows beside the results: did you mean, facets with filter links, and
the timeline (an SVG drawn on the server, with axes: app/web/charts.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from app.archive import Archive
from app.ingest.language import display_name as language_name
from app.ingest.names import display_name
from app.services.facets import FACETS, Count, Histogram, archive_counts, search_summary
from app.services.searching import SearchPage, SearchParams
from app.services.suggest import did_you_mean
from app.web import charts

# Each facet shows its largest values; the rest (up to the service's limit) behind "show all".
PAGE_FACET_VALUES = 8
FACET_LIMIT = 50


@dataclass
class Link:
    label: str
    href: str
    count: int | None = None


@dataclass
class Bar:
    x: float  # inner plot coordinates (charts.UNIT per period)
    y: float
    width: float
    height: float
    label: str
    href: str | None  # None for a period without matches: nothing to narrow to
    nodata: bool = False  # the archive holds nothing then (drawn as a gap band instead)


@dataclass
class Facet:
    top: list[Link]
    more: list[Link]  # the rest, behind "show all"
    missing: int = 0  # matches without a value ("(no source)", "(no author)")


@dataclass
class Timeline:
    interval: str
    bars: list[Bar]
    xticks: list[charts.XTick]
    yticks: list[charts.YTick]
    gaps: list[charts.Gap]
    first: str
    last: str
    inner_width: int
    unit: str = "articles"  # what the bars count: articles, or stories (count=stories)
    height: int = charts.CHART_HEIGHT
    plot_top: int = charts.PLOT_TOP
    plot_height: int = charts.PLOT_HEIGHT
    baseline: int = charts.BASELINE


@dataclass
class SearchExtras:
    suggestion: Link | None = None
    facets: dict[str, Facet] = field(default_factory=dict)
    timeline: Timeline | None = None
    feed: str = ""
    compare: str = ""  # this search on the comparison page, ready for a second one
    csv: str = ""


def _href(items: list[tuple[str, str]]) -> str:
    kept = [(k, v) for k, v in items if v and k not in ("page", "cursor")]
    return "/search?" + urlencode(kept)


def _without(
    items: list[tuple[str, str]], key: str, value: str | None = None
) -> list[tuple[str, str]]:
    return [(k, v) for k, v in items if not (k == key and (value is None or v == value))]


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 'es' if word.endswith('h') else 's'}"


def _matched(n: int, unit: str) -> str:
    if unit == "stories":
        return f"{n:,} {'story' if n == 1 else 'stories'}"
    return _plural(n, "match")


def result_unit(result: SearchPage) -> Count:
    """What the page's results (and `total`) are: stories when folded by story."""
    return "stories" if result.by_story else "articles"


def _timeline(
    histogram: Histogram, archived: list[int], items: list[tuple[str, str]], unit: str
) -> Timeline | None:
    buckets = histogram.buckets
    if not buckets:
        return None
    top, step = charts.nice_top(max(b.count for b in buckets), integer=True)
    base = _without(_without(items, "from"), "to")
    bars = []
    for i, bucket in enumerate(buckets):
        height = charts.bar_height(bucket.count, top)
        period = charts.period_label(bucket.key)
        if archived[i]:
            label = f"{period}: {_matched(bucket.count, unit)} ({archived[i]:,} in the archive)"
        else:
            label = f"{period}: no articles in the archive"
        narrow = [*base, ("from", bucket.start.isoformat()), ("to", bucket.end.isoformat())]
        bars.append(
            Bar(
                x=i * charts.UNIT + 1,
                y=round(charts.PLOT_HEIGHT - height, 2),
                width=charts.UNIT - 2,
                height=height,
                label=label,
                href=_href(narrow) if bucket.count else None,
                nodata=not archived[i],
            )
        )
    keys = [b.key for b in buckets]
    return Timeline(
        interval=histogram.interval,
        bars=bars,
        xticks=charts.x_ticks(keys),
        yticks=charts.y_ticks(top, step, charts.count_label),
        gaps=charts.gaps(keys, archived),
        first=charts.period_label(keys[0]),
        last=charts.period_label(keys[-1]),
        inner_width=len(keys) * charts.UNIT,
        unit=unit,
    )


def _facet_order(name: str, values: list[Link]) -> list[Link]:
    """Largest first, ties in date order for years and months (newest first), else by name."""
    if name in ("year", "month"):
        newest_first = sorted(values, key=lambda v: v.label, reverse=True)
        return sorted(newest_first, key=lambda v: -(v.count or 0))
    return values  # the service already gives sources and authors most first


def search_extras(
    archive: Archive,
    *,
    params: SearchParams,
    result: SearchPage,
    query: list[tuple[str, str]],
    count: Count = "articles",
) -> SearchExtras:
    """Everything around the results, for the current query string `query`; facets and the
    timeline count `count` (articles, or stories)."""
    extras = SearchExtras()
    extras.feed = "/feeds/search.atom?" + urlencode(
        [(k, v) for k, v in query if v and k not in ("page", "cursor", "sort")]
    )
    extras.compare = "/compare?" + urlencode(
        [(k, v) for k, v in query if v and k in ("q", "from", "to", "source", "author", "lang")]
        + ([("count", count)] if count == "stories" else [])
    )
    suggestion = did_you_mean(archive, params=params, total=result.total)
    if suggestion:
        extras.suggestion = Link(suggestion, _href([*_without(query, "q"), ("q", suggestion)]))
    if not result.total:
        return extras
    summary = search_summary(
        archive, params=params, facets=FACETS, interval="auto", limit=FACET_LIMIT, count=count
    )
    for name, values in summary.facets.items():
        links = []
        for v in values:
            if name in ("source", "author"):
                narrowed = [*query, (name, v.value)]
            elif name == "language":
                narrowed = [*query, ("lang", v.value)]
            else:  # a year or month narrows the dates
                narrowed = [
                    *_without(_without(query, "from"), "to"),
                    ("from", v.value),
                    ("to", v.value),
                ]
            label = (
                display_name(v.value)
                if name == "author"
                else language_name(v.value)
                if name == "language"
                else v.value
            )
            links.append(Link(label, _href(narrowed), v.count))
        links = _facet_order(name, links)
        extras.facets[name] = Facet(links[:PAGE_FACET_VALUES], links[PAGE_FACET_VALUES:])
    for name, n in summary.missing.items():
        extras.facets[name].missing = n
    if "language" in extras.facets and count == result_unit(result):
        # One language an article: the rest have none (a story's copies may differ in
        # language, so when counting stories over unfolded results it is not known).
        named = sum(v.count for v in summary.facets["language"])
        extras.facets["language"].missing = max(result.total - named, 0)
    histogram = summary.histogram
    assert histogram is not None
    csv_query = [(k, v) for k, v in query if k in ("q", "from", "to", "source", "author", "lang")]
    extras.csv = "/api/v1/search/histogram?" + urlencode(
        [*csv_query, ("interval", histogram.interval), ("format", "csv")]
        + ([("count", count)] if count == "stories" else [])
    )
    archived = archive_counts(archive, params=params, histogram=histogram, count=count)
    extras.timeline = _timeline(histogram, archived, query, count)
    return extras
