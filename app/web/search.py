"""What the search page shows beside the results: did you mean, facets with filter links, the
and the timeline (an SVG drawn on the server)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from app.archive import Archive
from app.ingest.names import display_name
from app.services.facets import FACETS, Histogram, search_summary
from app.services.searching import SearchPage, SearchParams
from app.services.suggest import did_you_mean

PAGE_FACET_VALUES = 8
CHART_WIDTH, CHART_HEIGHT = 600, 120


@dataclass
class Link:
    label: str
    href: str
    count: int | None = None


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    href: str


@dataclass
class SearchExtras:
    suggestion: Link | None = None
    facets: dict[str, list[Link]] = field(default_factory=dict)
    interval: str = ""
    bars: list[Bar] = field(default_factory=list)
    feed: str = ""
    compare: str = ""  # this search on the comparison page, ready for a second one
    csv: str = ""
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT


def _href(items: list[tuple[str, str]]) -> str:
    kept = [(k, v) for k, v in items if v and k not in ("page", "cursor")]
    return "/search?" + urlencode(kept)


def _without(
    items: list[tuple[str, str]], key: str, value: str | None = None
) -> list[tuple[str, str]]:
    return [(k, v) for k, v in items if not (k == key and (value is None or v == value))]


def _bars(histogram: Histogram, items: list[tuple[str, str]]) -> list[Bar]:
    if not histogram.buckets:
        return []
    top = max(b.count for b in histogram.buckets) or 1
    width = CHART_WIDTH / len(histogram.buckets)
    base = _without(_without(items, "from"), "to")
    bars = []
    for i, bucket in enumerate(histogram.buckets):
        height = (CHART_HEIGHT - 4) * bucket.count / top
        narrow = [*base, ("from", bucket.start.isoformat()), ("to", bucket.end.isoformat())]
        bars.append(
            Bar(
                x=round(i * width, 2),
                y=round(CHART_HEIGHT - height, 2),
                width=round(max(width - 1, 0.5), 2),
                height=round(height, 2),
                label=f"{bucket.key}: {bucket.count:,}",
                href=_href(narrow),
            )
        )
    return bars


def search_extras(
    archive: Archive, *, params: SearchParams, result: SearchPage, query: list[tuple[str, str]]
) -> SearchExtras:
    """Everything around the results, for the current query string `query`."""
    extras = SearchExtras()
    extras.feed = "/feeds/search.atom?" + urlencode(
        [(k, v) for k, v in query if v and k not in ("page", "cursor", "sort")]
    )
    extras.compare = "/compare?" + urlencode(
        [(k, v) for k, v in query if v and k in ("q", "from", "to", "source", "author")]
    )
    suggestion = did_you_mean(archive, params=params, total=result.total)
    if suggestion:
        extras.suggestion = Link(suggestion, _href([*_without(query, "q"), ("q", suggestion)]))
    if not result.total:
        return extras
    summary = search_summary(
        archive, params=params, facets=FACETS, interval="auto", limit=PAGE_FACET_VALUES
    )
    for name, values in summary.facets.items():
        links = []
        for v in values[-PAGE_FACET_VALUES:] if name in ("year", "month") else values:
            if name in ("source", "author"):
                narrowed = [*query, (name, v.value)]
            else:  # a year or month narrows the dates
                narrowed = [
                    *_without(_without(query, "from"), "to"),
                    ("from", v.value),
                    ("to", v.value),
                ]
            label = display_name(v.value) if name == "author" else v.value
            links.append(Link(label, _href(narrowed), v.count))
        extras.facets[name] = links
    histogram = summary.histogram
    assert histogram is not None
    extras.interval = histogram.interval
    csv_query = [(k, v) for k, v in query if k in ("q", "from", "to", "source", "author")]
    extras.csv = "/api/v1/search/histogram?" + urlencode(
        [*csv_query, ("interval", histogram.interval), ("format", "csv")]
    )
    extras.bars = _bars(histogram, query)
    return extras
