"""Search folded by story (SearchRequest.fold_stories) on every backend: one result per story,
its best-ranked copy in the search's order, with totals, pages and cursors counting stories."""

from __future__ import annotations

import dataclasses
import random

import pytest

from app.archive import Archive
from app.search.base import SearchFilters, SearchRequest, Sort
from app.search.stopwords import parse_search
from app.services.articles import add_articles
from app.services.searching import SearchParams, search_articles
from tests.search.test_search_contract import backend_archive  # noqa: F401 (fixture)
from tests.services.test_stories import corpus, story_ids


@pytest.fixture
def copies(backend_archive: Archive) -> Archive:  # noqa: F811
    items = corpus(seed=5, n=30)
    rng = random.Random(5)
    items = [
        dataclasses.replace(i, published=i.published.replace(day=rng.randint(1, 28))) for i in items
    ]
    for start in range(0, len(items), 10):
        add_articles(backend_archive, items=items[start : start + 10])
    return backend_archive


def everything(archive: Archive, q: str | None, sort: Sort, **filters: object) -> list[int]:
    request = SearchRequest(
        query=parse_search(q), filters=SearchFilters(**filters), sort=sort, limit=10_000
    )
    return archive.search.search(request).ids


QUERIES = ["w1 OR w2 OR w3 OR w4 OR w5 OR w6 OR w7 OR w8 OR w9", "w10 OR w20 OR w30", None]


def test_one_result_per_story_its_best_copy_in_order(copies: Archive) -> None:
    # one archive per backend for every case: loading it is most of the time on PostgreSQL
    sorts: list[Sort] = ["relevance", "newest", "oldest"]
    for q in QUERIES:
        for sort in sorts:
            check_folded(copies, q, sort)


def check_folded(copies: Archive, q: str | None, sort: Sort) -> None:
    stories = story_ids(copies)
    plain = everything(copies, q, sort)
    expected: list[int] = []
    seen: dict[int | None, int] = {}
    for article_id in plain:
        story = stories[article_id]
        if story not in seen:
            seen[story] = article_id
            expected.append(article_id)
    assert len(expected) < len(plain)  # something to fold
    request = SearchRequest(query=parse_search(q), sort=sort, limit=10_000, fold_stories=True)
    hits = copies.search.search(request)
    assert hits.ids == expected
    assert hits.total == len(expected)
    assert hits.copies is not None
    assert sum(hits.copies) + len(hits.ids) == len(plain)
    # paged: pages of 4 (offset) and by cursor give the same stories, none twice
    pages: list[int] = []
    for offset in range(0, len(expected) + 4, 4):
        page = copies.search.search(dataclasses.replace(request, offset=offset, limit=4))
        assert page.total == len(expected)
        pages += page.ids
    assert pages == expected
    params = SearchParams(q=q, sort=sort, page_size=3, by_story=True)
    walked: list[int] = []
    while True:
        result = search_articles(copies, params=params, snippets=False)
        assert result.by_story and result.total == len(expected)
        walked += [i.article.id for i in result.items]
        if len(walked) >= result.total or not result.items:
            break
        last = result.items[-1]
        key = (
            (last.article.published, last.article.id)
            if sort != "relevance" or q is None
            else (last.score, last.article.id)
        )
        params = dataclasses.replace(params, page=params.page + 1, after=key)
    assert walked == expected


def test_filters_apply_before_folding(copies: Archive) -> None:
    stories = story_ids(copies)
    plain = everything(copies, None, "newest", sources=("Paper 1",))
    request = SearchRequest(
        query=None, filters=SearchFilters(sources=("Paper 1",)), sort="newest", fold_stories=True
    )
    hits = copies.search.search(dataclasses.replace(request, limit=1000))
    assert len({stories[i] for i in plain}) == hits.total
    assert set(hits.ids) <= set(plain)
