"""Unit tests for app.textclean: display clean-up changes punctuation and spacing, never words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.ingest.dated_text import parse_dated_text
from app.ingest.record import ArticleIn, InvalidArticle
from app.textclean import clean_for_display, display_paragraphs, split_paragraphs

SEED = Path(__file__).resolve().parents[2] / "seeds" / "blinken-2022-01-06.txt"


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        # ". ." left by copy-paste collapses to one full stop
        ("on the border with Ukraine. .", "on the border with Ukraine."),
        ("he said. . .", "he said."),
        ("a threat to him,” he said. .", "a threat to him,” he said."),
        ("it ended. .” Then", "it ended.” Then"),
        ("one. . Two", "one. Two"),
        # a closing curly quote detached from its clause
        ("ready to do that, ”she said.", "ready to do that,” she said."),
        ("against Russia, ”he said.", "against Russia,” he said."),
        ("Really? ”she asked", "Really?” she asked"),
        # an opening curly quote detached from its first word
        ("he called it “ a lever” today", "he called it “a lever” today"),
        # a full stop between two lower-case words is noise
        ("a potential crisis then. that Russia", "a potential crisis then that Russia"),
        ("broader issues. that impact Europe", "broader issues that impact Europe"),
        # spacing
        ("  too   many\tspaces\n here  ", "too many spaces here"),
    ],
)
def test_clean_for_display_fixes_noise(raw: str, clean: str) -> None:
    assert clean_for_display(raw) == clean


@pytest.mark.parametrize(
    "text",
    [
        "approx. two thousand troops",
        "tanks, trucks etc. and more",
        "the govt. said",
        "on jan. sixth",
        "U.S. officials met",
        "the United Nations. for Security",  # capitalised word before the stop: left alone
        "in pledges of Russia. next week",
        "Mr. smith arrived",  # two-letter words are not touched
        "the end. Next sentence",
        "Wait... what happened",
        "version 2. and then",  # digits are not lower-case words
        "e.g. this one",
        "“Quoted,” he said.",
        "",
    ],
)
def test_clean_for_display_leaves_these_alone(text: str) -> None:
    assert clean_for_display(text) == text


def test_clean_for_display_is_idempotent_on_the_seed() -> None:
    body = parse_dated_text(SEED.read_text(encoding="utf-8")).body
    for paragraph in split_paragraphs(body):
        once = clean_for_display(paragraph)
        assert clean_for_display(once) == once


def test_display_paragraphs_on_the_seed() -> None:
    body = parse_dated_text(SEED.read_text(encoding="utf-8")).body
    shown = display_paragraphs(body)
    assert len(shown) == 17
    assert shown[0].endswith("assembles troops on the border with Ukraine.")
    assert "crisis then that Russia" in shown[0]
    assert shown[7].endswith("ready to do that,” she said.")
    assert shown[-2].endswith("a threat to him,” he said.")
    assert "United Nations. for Security" in shown[5]
    assert words(" ".join(shown)) == words(body)


def test_split_paragraphs() -> None:
    body = "  First line\nsame paragraph.\n\nSecond.\n \t \nThird\r\n\r\nFourth\n\n\n\n"
    assert split_paragraphs(body) == ["First line same paragraph.", "Second.", "Third", "Fourth"]


@pytest.mark.parametrize("body", ["", "\n\n", "  \n \t\n "])
def test_split_paragraphs_of_nothing(body: str) -> None:
    assert split_paragraphs(body) == []


def test_split_paragraphs_single_newline_is_not_a_break() -> None:
    assert split_paragraphs("one\ntwo\nthree") == ["one two three"]


def test_display_paragraphs_cleans_each_paragraph() -> None:
    assert display_paragraphs("Ukraine. .\n\nthat, ”she said\n\nthen. that") == [
        "Ukraine.",
        "that,” she said",
        "then that",
    ]


# --- properties -------------------------------------------------------------------------------

_WORD = st.one_of(
    st.sampled_from(
        ["the", "then", "that", "approx", "etc", "U", "S", "Russia", "don", "t", "é", "2022", "x_y"]
    ),
    st.text(alphabet="abcXYZéß0123456789_", min_size=1, max_size=8),
)
_GLUE = st.sampled_from(
    [
        " ",
        "  ",
        "\n",
        "\n\n",
        ".",
        ",",
        "”",
        "“",
        "’",
        "'",
        "!",
        "?",
        ";",
        ":",
        ". .",
        " . ",
        ", ”",
        "“ ",
    ]
)
_TEXT = st.lists(st.one_of(_WORD, _GLUE), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_clean_for_display_keeps_every_word_in_order(text: str) -> None:
    assert words(clean_for_display(text)) == words(text)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_display_paragraphs_keeps_every_word_in_order(text: str) -> None:
    assert words(" ".join(display_paragraphs(text))) == words(text)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_clean_for_display_output_is_tidy(text: str) -> None:
    out = clean_for_display(text)
    assert out == out.strip()
    assert "  " not in out
    assert "\n" not in out


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_clean_for_display_is_idempotent(text: str) -> None:
    once = clean_for_display(text)
    assert clean_for_display(once) == once


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_dated_text_never_raises_anything_else(text: str) -> None:
    try:
        result = parse_dated_text(text)
    except InvalidArticle:
        return
    assert isinstance(result, ArticleIn)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_parse_dated_text_with_a_date_header_keeps_the_words(body: str) -> None:
    try:
        result = parse_dated_text(f"date 2022-01-06\n\n{body}")
    except InvalidArticle as exc:
        assert str(exc) == "no article text after the header"
        assert not body.strip()
        return
    assert words(result.body) == words(body)
