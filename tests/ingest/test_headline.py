"""Headlines derived from the lead: short, ending at a clause boundary where there is one
(issue 18 item 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.ingest.dated_text import parse_dated_text
from app.ingest.headline import MAX_TITLE_CHARS, MIN_CLAUSE_CHARS, derive_title

SEED = Path(__file__).resolve().parents[2] / "seeds" / "blinken-2022-01-06.txt"


def test_the_seeds_headline_ends_before_a_noun_phrase() -> None:
    article = parse_dated_text(SEED.read_text(encoding="utf-8"))
    # Not "… was one of two the US…", cut inside the next phrase.
    assert article.title == (
        "The top US diplomat said the path of “diplomacy and de-escalation” was one of two…"
    )


@pytest.mark.parametrize(
    ("lead", "title"),
    [
        (
            "Showers continued throughout the week in the Bahia cocoa zone, alleviating the "
            "drought since early January and improving prospects for the coming temporao.",
            "Showers continued throughout the week in the Bahia cocoa zone, alleviating the "
            "drought",
        ),
        (
            "The central bank raised interest rates by half a point on Thursday, surprising "
            "markets that had expected a pause until the summer.",
            "The central bank raised interest rates by half a point on Thursday, surprising "
            "markets",
        ),
        (
            "Ministers agreed to extend the grain deal for another four months after talks in "
            "Istanbul that lasted well into the night.",
            "Ministers agreed to extend the grain deal for another four months after talks in "
            "Istanbul",
        ),
    ],
)
def test_a_long_lead_is_cut_at_a_clause_boundary(lead: str, title: str) -> None:
    assert derive_title(lead) == title


def test_what_was_said_is_not_cut_off() -> None:
    lead = (
        "State Department spokesman Ned Price said on Tuesday that the US-Russia talks are "
        "expected to focus on “a relatively small set of bilateral issues,” while others wait."
    )
    title = derive_title(lead)
    assert title.startswith("State Department spokesman Ned Price said on Tuesday that the")
    assert len(title) <= MAX_TITLE_CHARS + 1


def test_no_cut_inside_quotes_and_none_too_early() -> None:
    lead = (
        "He said “if they are to bear fruit, if they are to show real progress, it will require "
        "de-escalation” in the coming weeks of negotiation."
    )
    title = derive_title(lead)
    assert not title.endswith(("fruit", "progress"))
    short = derive_title("Prices rose, traders said, as " + "demand for heating oil grew " * 5)
    assert len(short.removesuffix("…")) >= MIN_CLAUSE_CHARS
