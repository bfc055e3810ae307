"""Bylines: an agency at the end is the source, not a person; all-capitals names in title case."""

from __future__ import annotations

import pytest

from app.ingest.dated_text import parse_dated_text
from app.ingest.fields import record_from_mapping
from app.ingest.names import display_name, split_byline


@pytest.mark.parametrize(
    ("byline", "people", "outlet"),
    [
        ("By MICHAEL FITZPATRICK, Reuters", ["MICHAEL FITZPATRICK"], "Reuters"),
        (
            "By STEPHEN JUKES AND PHILIP SHEHADI, REUTERS",
            ["STEPHEN JUKES", "PHILIP SHEHADI"],
            "REUTERS",
        ),
        ("By Jane Doe, The A.P.", ["Jane Doe", "The A.P."], None),
        ("Jane Doe, A.P.", ["Jane Doe"], "A.P."),
        ("Jane Doe, John Roe", ["Jane Doe", "John Roe"], None),
        ("Reuters", ["Reuters"], None),  # an outlet alone stays: there is nobody else
    ],
)
def test_split_byline(byline: str, people: list[str], outlet: str | None) -> None:
    assert split_byline(byline) == (people, outlet)


def test_the_articles_own_source_ends_a_byline() -> None:
    assert split_byline("Jane Doe, Daily Planet", source="daily planet") == (
        ["Jane Doe"],
        "Daily Planet",
    )


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("MICHAEL FITZPATRICK", "Michael Fitzpatrick"),
        ("TED D'AFFLISIO", "Ted D'Afflisio"),
        ("JEAN-PIERRE DUPONT", "Jean-Pierre Dupont"),
        ("JOHN SMITH III", "John Smith III"),
        ("McDonald", "McDonald"),
        ("danah boyd", "danah boyd"),
        ("Cal Mankowski", "Cal Mankowski"),
    ],
)
def test_display_name(stored: str, shown: str) -> None:
    assert display_name(stored) == shown


def test_dated_text_agency_byline_becomes_the_source() -> None:
    article = parse_dated_text(
        "date 1987-03-02\nauthor By MICHAEL FITZPATRICK, Reuters\n\nOil prices rose.\n"
    )
    assert article.authors == ["MICHAEL FITZPATRICK"]  # stored as given
    assert article.source == "Reuters"


def test_dated_text_keeps_a_given_source() -> None:
    article = parse_dated_text(
        "date 1987-03-02\nsource Reuters Wire\nauthor Jane Doe, Reuters\n\nOil prices rose.\n"
    )
    assert (article.authors, article.source) == (["Jane Doe"], "Reuters Wire")


def test_json_record_agency_byline() -> None:
    article = record_from_mapping(
        {"date": "1987-03-02", "body": "Oil prices rose.", "author": "By Cal Mankowski, Reuters"},
        origin=None,
    )
    assert (article.authors, article.source) == (["Cal Mankowski"], "Reuters")
    listed = record_from_mapping(
        {"date": "1987-03-02", "body": "Oil.", "authors": ["Cal Mankowski", "Reuters"]},
        origin=None,
    )
    assert listed.authors == ["Cal Mankowski"]
