"""Counting stories, not copies (count=stories) on every backend: a story's copies count once per
period, source or author; a story whose copies fall in two months counts in each."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from app.archive import Archive
from app.search.base import SearchFilters
from app.search.stopwords import parse_search
from app.services.articles import add_articles
from app.services.facets import compare_histograms, search_summary
from app.services.searching import SearchParams
from tests.factories import make_item
from tests.search.test_search_contract import backend_archive  # noqa: F401 (fixture)
from tests.services.test_stories import edited, story_ids, story_text


@pytest.fixture
def stories(backend_archive: Archive) -> tuple[Archive, dict[str, int]]:  # noqa: F811
    """Story A: four copies (Wire; Paper 1 twice, in March; Paper 2 in April). Story B: two
    copies (Wire in March 2021, Paper 2 in January 2022). C: alone, without source or author.
    A and B mention "zebra"."""
    rng = random.Random(3)
    a, b, c = (story_text(rng) for _ in range(3))
    a, b = a + " zebra", b + " zebra"
    items = {
        "a0": make_item(a, date="2021-03-02", source="Wire", authors=["Ann"]),
        "a1": make_item(edited(rng, a), date="2021-03-10", source="Paper 1", authors=["Ann"]),
        "a2": make_item(edited(rng, a), date="2021-03-15", source="Paper 1", authors=["Bob"]),
        "a3": make_item(edited(rng, a), date="2021-04-01", source="Paper 2"),
        "b0": make_item(b, date="2021-03-05", source="Wire", authors=["Ann"]),
        "b1": make_item(edited(rng, b), date="2022-01-20", source="Paper 2"),
        "c": make_item(c, date="2021-03-20"),
    }
    added = add_articles(backend_archive, items=list(items.values()))
    ids = {name: out.article.id for name, out in zip(items, added, strict=True)}
    story = story_ids(backend_archive)
    # what the counts below rest on: the grouping at import
    assert {story[ids[n]] for n in ("a0", "a1", "a2", "a3")} == {ids["a0"]}
    assert story[ids["b1"]] == ids["b0"] and story[ids["c"]] == ids["c"]
    return backend_archive, ids


FIELDS = ("source", "author", "day", "month", "year", "no_source", "no_author")


def test_stories_counted_once_per_value(stories: tuple[Archive, dict[str, int]]) -> None:
    archive, _ = stories
    counted = archive.search.story_counts(None, SearchFilters(), fields=FIELDS)
    assert counted["month"] == {"2021-03": 3, "2021-04": 1, "2022-01": 1}
    assert counted["year"] == {"2021": 3, "2022": 1}
    assert counted["day"]["2021-03-10"] == 1 and len(counted["day"]) == 7
    # each source's copies of a story once per source: Paper 1 carried A twice
    assert counted["source"] == {"wire": 2, "paper 1": 1, "paper 2": 2}
    assert counted["author"] == {"ann": 2, "bob": 1}
    assert counted["no_source"] == {"": 1}
    assert counted["no_author"] == {"": 3}  # A and B (their Paper 2 copies) and C
    # the same matches counted as articles, for contrast
    articles = archive.search.facet_counts(None, SearchFilters(), fields=("source", "author"))
    assert articles["source"]["paper 1"] == 2 and articles["author"]["ann"] == 3


def test_story_counts_follow_the_query_and_filters(
    stories: tuple[Archive, dict[str, int]],
) -> None:
    archive, _ = stories
    zebra = parse_search("zebra")
    counted = archive.search.story_counts(zebra, SearchFilters(), fields=("month", "source"))
    assert counted == {
        "month": {"2021-03": 2, "2021-04": 1, "2022-01": 1},
        "source": {"wire": 2, "paper 1": 1, "paper 2": 2},
    }
    march = SearchFilters(date_from=dt.date(2021, 3, 1), date_to=dt.date(2021, 3, 31))
    counted = archive.search.story_counts(zebra, march, fields=("source", "year"))
    assert counted == {"source": {"wire": 2, "paper 1": 1}, "year": {"2021": 2}}
    nothing = archive.search.story_counts(parse_search("nosuchword"), march, fields=("month",))
    assert nothing == {"month": {}}


def test_summary_and_comparison_count_stories(stories: tuple[Archive, dict[str, int]]) -> None:
    archive, _ = stories
    params = SearchParams(q="zebra")
    summary = search_summary(
        archive, params=params, facets=("source", "month"), interval="month", count="stories"
    )
    assert [(v.value, v.count) for v in summary.facets["month"]] == [
        ("2021-03", 2),
        ("2021-04", 1),
        ("2022-01", 1),
    ]
    assert summary.histogram is not None
    buckets = {b.key: b.count for b in summary.histogram.buckets}
    assert len(buckets) == 11 and buckets["2021-03"] == 2 and buckets["2021-05"] == 0
    auto = search_summary(archive, params=params, interval="auto", count="stories").histogram
    assert (
        auto is not None
        and auto.interval == "month"
        and auto.buckets == (summary.histogram.buckets)
    )
    articles = search_summary(archive, params=params, interval="month").histogram
    assert articles is not None and articles.buckets[0].count == 4  # a0, a1, a2, b0
    result = compare_histograms(archive, params=SearchParams(), queries=["zebra"], interval="year")
    assert result.series[0].total == 6 and [b.count for b in result.buckets] == [6, 1]
    result = compare_histograms(
        archive, params=SearchParams(), queries=["zebra"], interval="year", count="stories"
    )
    assert result.series[0].total == 2  # A and B
    assert result.series[0].counts == [2, 1]
    assert [b.count for b in result.buckets] == [3, 1]  # every story: A, B, C; then B
    assert result.series[0].shares == [round(2 / 3, 6), 1.0]
