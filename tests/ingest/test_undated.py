"""Undated text files: a date from the path or one given for the import (issue 18 item 12)."""

from __future__ import annotations

import datetime as dt

import pytest

from app.ingest.dated_text import parse_dated_text
from app.ingest.record import InvalidArticle
from app.ingest.undated import UndatedFiles, date_in_path

BBC_STYLE = "Ad sales boost Time Warner profit\n\nQuarterly profits at US media giant rose.\n"


@pytest.mark.parametrize(
    ("path", "date"),
    [
        ("archive/2022/01/06/story.txt", dt.date(2022, 1, 6)),
        ("archive/story-2022-01-06.txt", dt.date(2022, 1, 6)),
        ("notes/20050301_budget.txt", dt.date(2005, 3, 1)),
        ("2019-05-05/2022_01_06.txt", dt.date(2022, 1, 6)),  # the file name wins over folders
        ("2021-02-30/2020-02-29.txt", dt.date(2020, 2, 29)),
        ("x/2021-02-30.txt", None),  # no such day
        ("business/001.txt", None),
        ("id/1234567890123.txt", None),  # digits inside a longer number are no date
    ],
)
def test_date_in_path(path: str, date: dt.date | None) -> None:
    found = date_in_path(path)
    assert (found[0] if found else None) == date


def test_an_undated_file_still_fails_without_an_option() -> None:
    with pytest.raises(InvalidArticle, match="--date YYYY-MM-DD or --date-from-path"):
        parse_dated_text(BBC_STYLE)


def test_a_given_date_is_used_and_recorded() -> None:
    article = parse_dated_text(BBC_STYLE, undated=UndatedFiles(date=dt.date(2005, 1, 1)))
    assert article.published == dt.date(2005, 1, 1)
    assert article.provenance == {"date": {"from": "--date"}}
    assert article.title == "Ad sales boost Time Warner profit"


def test_a_date_from_the_path_wins_over_the_given_one() -> None:
    undated = UndatedFiles(date=dt.date(2005, 1, 1), from_path=True)
    article = parse_dated_text(BBC_STYLE, undated=undated, path="bbc/2004/12/31/001.txt")
    assert article.published == dt.date(2004, 12, 31)
    assert article.provenance == {"date": {"from": "path", "text": "2004/12/31"}}
    fallback = parse_dated_text(BBC_STYLE, undated=undated, path="bbc/business/001.txt")
    assert fallback.published == dt.date(2005, 1, 1)


def test_no_date_in_the_path_says_so() -> None:
    with pytest.raises(InvalidArticle, match=r"no date .* in the path"):
        parse_dated_text(BBC_STYLE, undated=UndatedFiles(from_path=True), path="a/b.txt")


def test_a_date_header_wins_and_is_not_recorded_as_a_fallback() -> None:
    article = parse_dated_text(
        "date 2022-01-06\n\nText.\n", undated=UndatedFiles(date=dt.date(2005, 1, 1))
    )
    assert article.published == dt.date(2022, 1, 6) and article.provenance is None
