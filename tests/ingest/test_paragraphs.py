"""Paragraphs inside plain text: indented lines, hand-made short lines and list items start one;
ordinary wrapped lines never do (issue 18 item 6)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.textclean import split_paragraphs

SEED = Path(__file__).resolve().parents[2] / "seeds" / "blinken-2022-01-06.txt"

REUTERS_STYLE = """Showers continued throughout the week in
the Bahia cocoa zone, alleviating the drought since early
January, Comissaria Smith said in its weekly review.
    The dry period means the temporao will be late this year.
    Arrivals for the week ended February 22 were 155,221 bags
of 60 kilos making a cumulative total for the season of 5.93
mln against 5.81 at the same stage last year.
 Reuter
"""


def test_indented_lines_start_paragraphs() -> None:
    assert split_paragraphs(REUTERS_STYLE) == [
        "Showers continued throughout the week in the Bahia cocoa zone, alleviating the drought "
        "since early January, Comissaria Smith said in its weekly review.",
        "The dry period means the temporao will be late this year.",
        "Arrivals for the week ended February 22 were 155,221 bags of 60 kilos making a "
        "cumulative total for the season of 5.93 mln against 5.81 at the same stage last year.",
        "Reuter",
    ]


def test_a_sentence_ending_short_of_the_wrap_width_ends_a_paragraph() -> None:
    text = (
        "The minister arrived in Geneva on Monday for talks with\n"
        "his counterpart, officials said.\n"
        "Both sides described the first meeting as constructive and\n"
        "businesslike.\n"
    )
    assert split_paragraphs(text) == [
        "The minister arrived in Geneva on Monday for talks with his counterpart, officials said.",
        "Both sides described the first meeting as constructive and businesslike.",
    ]


def test_one_paragraph_per_line() -> None:
    first = "First paragraph, " + "long enough to be one on a line that no wrapper made " * 3
    text = f"{first}\nSecond one follows it\nThird"
    assert split_paragraphs(text) == [first.strip(), "Second one follows it", "Third"]


@pytest.mark.parametrize(
    "text",
    [
        # A sentence ends at the end of a line only because the next word did not fit.
        "Prices rose five pct in the quarter. Analysts said that\n"
        "was expected. Demand for steel and copper stayed strong\n"
        "in Asia.",
        # Abbreviations and lower-case continuations are no paragraph ends.
        "The Federal Reserve entered the U.S.\nGovernment securities market today.",
        "Spain's Minas de Almaden y Arrayanes S.A.\nhas agreed with Algerian producer ENOF.",
        "one\ntwo\nthree",
    ],
)
def test_wrapped_lines_stay_one_paragraph(text: str) -> None:
    assert len(split_paragraphs(text)) == 1


def test_list_items_are_paragraphs() -> None:
    assert split_paragraphs("The plan has two parts:\n- cut taxes\n- raise spending") == [
        "The plan has two parts:",
        "- cut taxes",
        "- raise spending",
    ]


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12)
_SENTENCE = st.lists(_WORD, min_size=1, max_size=15).map(lambda w: " ".join(w).capitalize() + ".")


@settings(max_examples=200, deadline=None)
@given(st.lists(_SENTENCE, min_size=1, max_size=12), st.integers(min_value=30, max_value=100))
def test_greedy_wrapping_never_splits_a_paragraph(sentences: list[str], width: int) -> None:
    paragraph = " ".join(sentences)
    assert split_paragraphs(textwrap.fill(paragraph, width=width)) == [paragraph]


def test_the_seed_keeps_its_17_paragraphs() -> None:
    assert len(split_paragraphs(SEED.read_text(encoding="utf-8").split("\n", 1)[1])) == 17


def test_reuters_stories_get_their_paragraphs(corpora: Path) -> None:
    """Every Reuters story marks paragraphs with an indent: a long story is no longer one
    block, and every indented line starts a paragraph."""
    stories = []
    with (corpora / "reuters21578" / "reuters21578.derived.jsonl").open(encoding="utf-8") as f:
        for line in f:
            body = json.loads(line).get("body") or ""
            if len(body) > 3000:
                stories.append(body)
            if len(stories) == 50:
                break
    for body in stories:
        paragraphs = split_paragraphs(body)
        indented = sum(1 for line in body.split("\n") if line.startswith("    "))
        assert len(paragraphs) >= indented + 1
        assert max(len(p) for p in paragraphs) < 1500
