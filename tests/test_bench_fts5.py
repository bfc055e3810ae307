"""The FTS5 baseline of the benchmark (bench/fts5.py) answers our query language correctly, so its
figures compare like with like: checked on four hand-written articles."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.services.searching import SearchParams
from bench import fts5

ARTICLES = [
    fts5.FtsArticle(
        1,
        "Oil prices climb",
        "Crude oil rose as interest rates fell. OPEC ministers meet next week.",
        dt.date(1987, 3, 2),
        "Reuters",
        ("Jane Gelb",),
    ),
    fts5.FtsArticle(
        2,
        "Central bank holds",
        "The bank said rates on interest accounts would stay; exporters were relieved.",
        dt.date(1987, 3, 20),
        "Reuters",
    ),
    fts5.FtsArticle(
        3,
        "Trade deficit widens",
        "The trade deficit widened as oil imports grew and exports of coffee slowed.",
        dt.date(1987, 4, 10),
        "Associated Press",
    ),
    fts5.FtsArticle(
        4,
        "Coffee talks",
        "Coffee producers and OPEC-style quotas: exporting countries disagree on rates.",
        dt.date(1987, 5, 1),
        "Reuters",
    ),
]


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    path: Path = tmp_path_factory.mktemp("fts5") / "fts5.db"
    built = fts5.build_fts5(path, ARTICLES)
    assert built["articles"] == 4
    connection = fts5.connect(path)
    yield connection
    connection.close()


def _ids(conn: sqlite3.Connection, **kwargs: object) -> tuple[int, list[int]]:
    page = fts5.fts5_search(conn, SearchParams(page_size=10, **kwargs))  # type: ignore[arg-type]
    return page.total, [hit.id for hit in page.items]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("oil", {1, 3}),
        ("crude oil", {1}),
        ('"interest rates"', {1}),  # article 2 has both words, not as a phrase
        ("export*", {2, 3, 4}),  # exporters, exports, exporting
        ("coffee OR opec", {1, 3, 4}),
        ("oil NOT opec", {3}),
        ("rates -coffee -bank", {1}),
        ("(oil OR coffee) deficit", {3}),
        ("title:coffee", {4}),
        ('title:"trade deficit"', {3}),
        ("author:gelb", {1}),
        ("NOT oil", {2, 4}),
    ],
)
def test_query_language_matches(conn: sqlite3.Connection, query: str, expected: set[int]) -> None:
    total, ids = _ids(conn, q=query)
    assert set(ids) == expected
    assert total == len(expected)


def test_date_and_source_filters_and_newest_first(conn: sqlite3.Connection) -> None:
    total, ids = _ids(conn, q="rates", date_from=dt.date(1987, 3, 1), date_to=dt.date(1987, 3, 31))
    assert (total, set(ids)) == (2, {1, 2})
    assert _ids(conn, q="oil", sources=("reuters",)) == (1, [1])
    assert _ids(conn, q="oil", sources=("Associated  Press",)) == (1, [3])
    assert _ids(conn, q="rates", sort="newest") == (3, [4, 2, 1])
    assert _ids(conn, q=None, date_from=dt.date(1987, 3, 16)) == (3, [4, 3, 2])


def test_ranked_and_snippet_marks_the_match(conn: sqlite3.Connection) -> None:
    page = fts5.fts5_search(conn, SearchParams(q="coffee", page_size=10))
    assert [hit.id for hit in page.items] == [4, 3]  # in the title and body of 4, once in 3
    assert "<mark>Coffee</mark>" in page.items[0].snippet


def test_not_inside_or_is_refused(conn: sqlite3.Connection) -> None:
    with pytest.raises(fts5.Untranslatable):
        fts5.fts5_search(conn, SearchParams(q="oil OR NOT coffee"))
