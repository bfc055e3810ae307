"""Unit tests for the dated-text reader and its helpers (pure functions, no database)."""

from __future__ import annotations

import codecs
import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.ingest.attribution import Attribution, find_attribution
from app.ingest.dated_text import decode, parse_date, parse_dated_text
from app.ingest.headline import _TRAILING_FILLER, MAX_TITLE_CHARS, derive_title
from app.ingest.record import ArticleIn, InvalidArticle, content_hash, count_words
from app.textclean import clean_for_display, split_paragraphs

SEED = Path(__file__).resolve().parents[2] / "seeds" / "blinken-2022-01-06.txt"
LEAD = "The minister met his counterpart in Geneva on Monday."
MAX = 1_000_000


def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def article(header: str, body: str = LEAD) -> ArticleIn:
    return parse_dated_text(f"{header}\n\n{body}\n")


def invalid(text: str) -> str:
    """The InvalidArticle message for `text` (fails the test if it parses)."""
    with pytest.raises(InvalidArticle) as info:
        parse_dated_text(text)
    return str(info.value)


def invalid_bytes(data: bytes, *, max_bytes: int = MAX, encoding: str | None = None) -> str:
    with pytest.raises(InvalidArticle) as info:
        decode(data, max_bytes=max_bytes, encoding=encoding)
    return str(info.value)


# --- the reference seed ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> ArticleIn:
    return parse_dated_text(decode(SEED.read_bytes(), max_bytes=MAX), origin=SEED.name)


def test_seed_date(seed: ArticleIn) -> None:
    assert seed.published == dt.date(2022, 1, 6)


def test_seed_title_is_derived_from_the_lead(seed: ArticleIn) -> None:
    assert seed.title_derived is True
    assert seed.title is not None
    assert seed.title.startswith("The top US diplomat")
    assert len(seed.title) <= MAX_TITLE_CHARS + 1
    assert seed.title.endswith("…")


def test_seed_title_is_not_cut_mid_word(seed: ArticleIn) -> None:
    assert seed.title is not None
    stem = seed.title.removesuffix("…")
    lead = clean_for_display(split_paragraphs(seed.body)[0])
    assert lead.startswith(stem)
    # the character after the kept text is a space: the cut is between two words
    assert lead[len(stem)] == " "
    assert stem.split()[-1].casefold() not in _TRAILING_FILLER


def test_seed_source_and_contributors(seed: ArticleIn) -> None:
    assert seed.source == "CNN"
    assert seed.contributors == ["Kevin Liptak"]
    assert seed.authors == []
    assert seed.url is None
    assert seed.language is None
    assert seed.origin == SEED.name


def test_seed_body_is_kept_as_given() -> None:
    text = seed_text()
    parsed = parse_dated_text(text)
    first_line, rest = text.split("\n", 1)
    assert first_line.strip() == "date 2022-01-06"
    assert parsed.body == rest.strip("\n")
    # the noise is stored, not cleaned: clean-up happens only for display
    assert "Ukraine. ." in parsed.body
    assert "crisis then. that Russia" in parsed.body
    assert ", ”she said." in parsed.body
    assert not parsed.body.startswith(("\n", " ", "date"))
    assert parsed.body.endswith("CNN’s Kevin Liptak contributed to this report.")


def test_seed_has_17_paragraphs(seed: ArticleIn) -> None:
    paragraphs = split_paragraphs(seed.body)
    assert len(paragraphs) == 17
    assert paragraphs[0].startswith("The top US diplomat said")
    assert paragraphs[-1] == "CNN’s Kevin Liptak contributed to this report."


def test_seed_word_count(seed: ArticleIn) -> None:
    # Independent count: whitespace-separated tokens that contain a letter or digit (hyphenated
    # words and "Russia’s" are single tokens either way; the stray ". ." dots are not words).
    tokens = [tok for tok in seed.body.split() if re.search(r"[^\W_]", tok)]
    assert count_words(seed.body) == len(tokens) == 491


def test_seed_with_crlf_and_bom_gives_the_same_article(seed: ArticleIn) -> None:
    data = codecs.BOM_UTF8 + seed_text().replace("\n", "\r\n").encode("utf-8")
    again = parse_dated_text(decode(data, max_bytes=MAX), origin=SEED.name)
    assert again == seed


# --- header variants --------------------------------------------------------------------------


def test_full_header() -> None:
    a = article(
        "date 2022-01-06\n"
        "title Blinken warns Russia\n"
        "source Reuters\n"
        "author Jane Doe\n"
        "url https://example.com/news/1?a=b\n"
        "language en"
    )
    assert a.published == dt.date(2022, 1, 6)
    assert a.title == "Blinken warns Russia"
    assert a.title_derived is False
    assert a.source == "Reuters"
    assert a.authors == ["Jane Doe"]
    assert a.url == "https://example.com/news/1?a=b"
    assert a.language == "en"
    assert a.body == LEAD


def test_without_title_the_title_comes_from_the_lead() -> None:
    a = article("date 2022-01-06")
    assert a.title == "The minister met his counterpart in Geneva on Monday"
    assert a.title_derived is True
    assert a.source is None
    assert a.authors == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("author Jane Doe, John Roe", ["Jane Doe", "John Roe"]),
        ("authors Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
        ("authors Jane Doe, John Roe and Sam Poe", ["Jane Doe", "John Roe", "Sam Poe"]),
        ("author Jane Doe; John Roe", ["Jane Doe", "John Roe"]),
        ("author Jane Doe\nauthor John Roe", ["Jane Doe", "John Roe"]),
        (
            "authors Jane Doe, John Roe\nauthor Sam Poe and Ann Lee",
            ["Jane Doe", "John Roe", "Sam Poe", "Ann Lee"],
        ),
        ("byline Jane Doe", ["Jane Doe"]),
    ],
)
def test_author_lines(line: str, expected: list[str]) -> None:
    assert article(f"date 2022-01-06\n{line}").authors == expected


def test_header_author_wins_over_attribution_and_is_not_repeated_as_contributor() -> None:
    a = article(
        "date 2022-01-06\nauthor Jane Doe",
        f"{LEAD}\n\nJane Doe and Ann Lee contributed to this report.",
    )
    assert a.authors == ["Jane Doe"]
    assert a.contributors == ["Ann Lee"]


def test_key_colon_value_form_and_case_insensitive_keys() -> None:
    a = article("Date: 2022-01-06\nTitle: Talks: what next\nSOURCE:  AP\nAuthor:Jane Doe")
    assert a.published == dt.date(2022, 1, 6)
    assert a.title == "Talks: what next"  # only the first colon separates key and value
    assert a.source == "AP"
    assert a.authors == ["Jane Doe"]


@pytest.mark.parametrize(
    ("header", "field", "value"),
    [
        ("published 2022-01-06\nheadline A headline", "title", "A headline"),
        ("published 2022-01-06\npublication The Times", "source", "The Times"),
        ("published 2022-01-06\nlink http://example.org/x", "url", "http://example.org/x"),
        ("published 2022-01-06\nlang de", "language", "de"),
    ],
)
def test_header_key_synonyms(header: str, field: str, value: str) -> None:
    a = article(header)
    assert a.published == dt.date(2022, 1, 6)
    assert getattr(a, field) == value


def test_stray_spaces_around_header_and_body() -> None:
    text = (
        "\n\n   date    2022-01-06   \n  title   Spaced   out  \n"
        "\n\n\n  \nFirst line   \nsecond\n\n\n"
    )
    a = parse_dated_text(text)
    assert a.published == dt.date(2022, 1, 6)
    assert a.title == "Spaced   out"
    assert a.body == "First line\nsecond"


def test_crlf_line_endings() -> None:
    text = "date 2022-01-06\r\ntitle T\r\n\r\nPara one\r\nstill one.\r\n\r\nPara two.\r\n"
    a = parse_dated_text(text)
    assert a.title == "T"
    assert "\r" not in a.body
    assert a.body == "Para one\nstill one.\n\nPara two."
    assert split_paragraphs(a.body) == ["Para one still one.", "Para two."]


def test_old_mac_cr_line_endings() -> None:
    a = parse_dated_text("date 2022-01-06\rtitle T\r\rBody.\r")
    assert (a.title, a.body) == ("T", "Body.")


def test_utf8_bom_is_removed_by_decode() -> None:
    text = decode(codecs.BOM_UTF8 + b"date 2022-01-06\n\nCaf\xc3\xa9 opens.", max_bytes=MAX)
    assert not text.startswith("\ufeff")
    a = parse_dated_text(text)
    assert a.published == dt.date(2022, 1, 6)
    assert a.body == "Café opens."


def test_language_is_normalised_to_lower_case() -> None:
    assert article("date 2022-01-06\nlanguage EN").language == "en"


def test_origin_is_passed_through() -> None:
    a = parse_dated_text(f"date 2022-01-06\n\n{LEAD}", origin="inbox/a.txt")
    assert a.origin == "inbox/a.txt"


def test_header_ends_at_the_first_line_that_is_not_a_header() -> None:
    # The date line counts even without a blank line after it; the unknown line is body text.
    article = parse_dated_text("date 2022-01-06\nweather sunny\n\nBody.")
    assert article.published == dt.date(2022, 1, 6)
    assert article.body == "weather sunny\n\nBody."
    assert "date" in invalid("weather sunny\ndate 2022-01-06\n\nBody.")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2022-01-06", dt.date(2022, 1, 6)),
        ("2022-1-6", dt.date(2022, 1, 6)),
        ("6 January 2022", dt.date(2022, 1, 6)),
        ("January 6, 2022", dt.date(2022, 1, 6)),
        ("Thu, 06 Jan 2022 10:00:00 GMT", dt.date(2022, 1, 6)),
        ("2022-01-06T10:30:00", dt.date(2022, 1, 6)),
        ("2022-01-06T23:30:00+05:00", dt.date(2022, 1, 6)),
        ("2022-01-06T10:30:00Z", dt.date(2022, 1, 6)),
        ("2022-01-06 10:30", dt.date(2022, 1, 6)),
        ("2024-02-29", dt.date(2024, 2, 29)),
    ],
)
def test_date_forms(value: str, expected: dt.date) -> None:
    assert parse_date(value) == expected
    assert article(f"date {value}").published == expected


# --- bad input --------------------------------------------------------------------------------


def test_no_date_header() -> None:
    assert "no 'date YYYY-MM-DD' header" in invalid(f"title Something\n\n{LEAD}")
    assert "no 'date YYYY-MM-DD' header" in invalid(LEAD)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2022-02-30", "day is out of range"),
        ("2022-13-01", "month must be in 1..12"),
        ("0000-01-01", "year 0"),
    ],
)
def test_impossible_iso_date(value: str, reason: str) -> None:
    message = invalid(f"date {value}\n\n{LEAD}")
    assert message.startswith("impossible date")
    assert repr(value) in message
    assert reason in message


def test_impossible_textual_date() -> None:
    message = invalid(f"date 30 February 2022\n\n{LEAD}")
    assert "'30 February 2022'" in message
    assert "YYYY-MM-DD" in message


@pytest.mark.parametrize("value", ["01/02/2022", "1.2.2022", "01-02-22"])
def test_ambiguous_numeric_date(value: str) -> None:
    message = invalid(f"date {value}\n\n{LEAD}")
    assert repr(value) in message
    assert "use YYYY-MM-DD" in message


def test_unparseable_date() -> None:
    message = invalid(f"date banana bread\n\n{LEAD}")
    assert "unrecognised date 'banana bread'" in message


@pytest.mark.parametrize("value", ["6 January", "Wednesday"])
def test_textual_date_without_a_year_is_refused(value: str) -> None:
    with pytest.raises(InvalidArticle):
        parse_dated_text(f"date {value}\n\n{LEAD}")


def test_textual_date_with_a_timezone_name() -> None:
    a = article("date 6 January 2022 10:00 EST")  # filterwarnings=error turns the warning fatal
    assert a.published == dt.date(2022, 1, 6)


@pytest.mark.parametrize("text", ["", " ", "\n\n\n", " \t\r\n  \n"])
def test_empty_or_whitespace_text(text: str) -> None:
    assert "date" in invalid(text)


@pytest.mark.parametrize(
    "text",
    [
        "date 2022-01-06",
        "date 2022-01-06\n",
        "date 2022-01-06\ntitle T\n\n  \n\t\n",
        "date 2022-01-06\r\n\r\n",
    ],
)
def test_header_only_no_body(text: str) -> None:
    assert invalid(text) == "no article text after the header"


@pytest.mark.parametrize(
    "url", ["ftp://example.com/a", "example.com/a", "https://", "javascript:alert(1)"]
)
def test_bad_url(url: str) -> None:
    message = invalid(f"date 2022-01-06\nurl {url}\n\n{LEAD}")
    assert repr(url) in message
    assert "http(s) URL" in message


@pytest.mark.parametrize("language", ["english!", "e", "en_GB_x_verylongsubtag", "123"])
def test_bad_language(language: str) -> None:
    message = invalid(f"date 2022-01-06\nlanguage {language}\n\n{LEAD}")
    assert repr(language) in message
    assert "language code" in message


@pytest.mark.parametrize("language", ["en", "EN-gb", "pt_BR", "zh-Hant-TW", "fil"])
def test_good_language(language: str) -> None:
    assert article(f"date 2022-01-06\nlanguage {language}").language == language.lower()


def test_decode_plain_utf8() -> None:
    assert (
        decode("date 2022-01-06\n\nÜber “x”".encode(), max_bytes=MAX)
        == "date 2022-01-06\n\nÜber “x”"
    )


@pytest.mark.parametrize("data", [b"", b"   ", b"\n\r\n\t "])
def test_decode_empty(data: bytes) -> None:
    assert invalid_bytes(data) == "empty file"


def test_decode_nul_bytes() -> None:
    assert "binary" in invalid_bytes(b"date 2022-01-06\n\nBody\x00text")


def test_decode_png() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"
    assert "binary" in invalid_bytes(png)
    # the magic number alone (no NUL yet) is still refused, as not UTF-8
    message = invalid_bytes(b"\x89PNG\r\n\x1a\n")
    assert "UTF-8" in message
    assert "0x89" in message


def test_decode_control_characters() -> None:
    assert "binary" in invalid_bytes(bytes(range(1, 9)) + b"\x0e\x0f text")
    # tabs, form feeds and line breaks are ordinary text
    assert decode(b"a\tb\fc\vd\r\ne", max_bytes=MAX) == "a\tb\fc\vd\r\ne"


def test_decode_latin1_bytes() -> None:
    message = invalid_bytes(b"caf\xe9 au lait")
    assert "UTF-8" in message
    assert "offset 3" in message
    assert "0xe9" in message
    assert "--encoding" in message


def test_decode_with_explicit_encoding() -> None:
    assert decode(b"caf\xe9", max_bytes=MAX, encoding="latin-1") == "café"
    assert decode(b"\x93quoted\x94", max_bytes=MAX, encoding="cp1252") == "“quoted”"
    assert "unknown encoding 'klingon'" in invalid_bytes(b"abc", encoding="klingon")


def test_decode_oversized() -> None:
    assert decode(b"x" * 100, max_bytes=100) == "x" * 100
    message = invalid_bytes(b"x" * 2001, max_bytes=2000)
    assert "too large" in message
    assert "2,001 bytes" in message
    assert "2,000 bytes" in message


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_decode_utf16_and_utf32_with_bom(codec: str) -> None:
    data = f"date 2022-01-06\n\n{LEAD}".encode(codec)
    if codec == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    assert "UTF-16/32" in invalid_bytes(data)


# --- attribution ------------------------------------------------------------------------------


def test_contributed_line_with_straight_apostrophe() -> None:
    a = article(
        "date 2022-01-06", f"{LEAD}\n\nCNN's Jane Doe and John Roe contributed to this report."
    )
    assert a.source == "CNN"
    assert a.contributors == ["Jane Doe", "John Roe"]
    assert a.authors == []
    assert a.title == "The minister met his counterpart in Geneva on Monday"


def test_contributed_line_with_three_names() -> None:
    found = find_attribution(
        [LEAD, "CNN’s Kevin Liptak, Jane Doe and John Roe contributed to this report."]
    )
    assert found == Attribution(source="CNN", contributors=["Kevin Liptak", "Jane Doe", "John Roe"])


def test_contributed_reporting_without_source() -> None:
    a = article("date 2022-01-06", f"{LEAD}\n\nKevin Liptak contributed reporting.")
    assert a.source is None
    assert a.contributors == ["Kevin Liptak"]


def test_header_source_wins_over_attribution_source() -> None:
    a = article(
        "date 2022-01-06\nsource CNN International",
        f"{LEAD}\n\nCNN’s Kevin Liptak contributed to this report.",
    )
    assert a.source == "CNN International"
    assert a.contributors == ["Kevin Liptak"]


def test_attribution_may_be_second_to_last() -> None:
    found = find_attribution(
        [
            LEAD,
            "CNN’s Kevin Liptak contributed to this report.",
            "Correction: a name was misspelled.",
        ]
    )
    assert found.contributors == ["Kevin Liptak"]
    assert found.source == "CNN"


def test_reuters_reporting_line() -> None:
    found = find_attribution([LEAD, "More text.", "(Reporting by Jane Doe; Editing by Sam Poe)"])
    assert found == Attribution(authors=["Jane Doe"])
    found = find_attribution([LEAD, "(Reporting by Jane Doe and John Roe; Editing by Sam Poe)"])
    assert found == Attribution(authors=["Jane Doe", "John Roe"])
    found = find_attribution([LEAD, "Additional reporting by Ann Lee."])
    assert found == Attribution(authors=["Ann Lee"])


def test_reuters_reporting_line_with_location() -> None:
    found = find_attribution(
        [LEAD, "(Reporting by Jane Doe and John Roe in Kyiv; Editing by Sam Poe)"]
    )
    assert found.authors == ["Jane Doe", "John Roe"]


def test_reuters_reporting_line_in_an_article() -> None:
    a = article(
        "date 2022-01-06",
        f"{LEAD}\n\nSecond paragraph.\n\n(Reporting by Jane Doe; Editing by Sam Poe)",
    )
    assert a.authors == ["Jane Doe"]
    assert a.contributors == []


def test_reuters_footer_does_not_move_the_lead() -> None:
    a = article(
        "date 2022-01-06",
        f"{LEAD}\n\nSecond paragraph.\n\n(Reporting by Jane Doe; Editing by Sam Poe)",
    )
    assert a.title == "The minister met his counterpart in Geneva on Monday"


def test_leading_byline_is_not_the_lead() -> None:
    a = article("date 2022-01-06", f"By Jane Doe\n\n{LEAD}\n\nMore text.")
    assert a.authors == ["Jane Doe"]
    assert a.title == "The minister met his counterpart in Geneva on Monday"


def test_leading_byline_with_two_names() -> None:
    found = find_attribution(["By Jane Doe and John Roe", LEAD])
    assert found.authors == ["Jane Doe", "John Roe"]


def test_leading_byline_with_source() -> None:
    found = find_attribution(["By Jane Doe, Reuters", LEAD])
    assert found.authors == ["Jane Doe"]
    assert found.source == "Reuters"


def test_leading_byline_is_not_the_lead_with_author_header() -> None:
    a = article("date 2022-01-06\nauthor Jane Doe", f"By Jane Doe\n\n{LEAD}")
    assert a.title == "The minister met his counterpart in Geneva on Monday"


@pytest.mark.parametrize(
    "last",
    [
        "The minister said talks would continue next week.",
        "Officials contributed little to the talks, he said.",
        "By then, the talks had ended.",
        "Reporting on the talks was restricted.",
    ],
)
def test_normal_paragraph_is_not_attribution(last: str) -> None:
    assert find_attribution([LEAD, last]) == Attribution()
    a = article("date 2022-01-06", f"{LEAD}\n\n{last}")
    assert (a.source, a.authors, a.contributors) == (None, [], [])
    assert a.body.endswith(last)


def test_lead_starting_with_by_is_not_a_byline() -> None:
    lead = "By Friday, Russia had withdrawn its troops from the border."
    assert find_attribution([lead, "Nato welcomed the move."]) == Attribution()
    a = article("date 2022-01-06", f"{lead}\n\nNato welcomed the move.")
    assert (a.authors, a.source) == ([], None)
    assert a.title == "By Friday, Russia had withdrawn its troops from the border"


def test_long_last_paragraph_is_not_attribution() -> None:
    long = "Jane Doe " + "and others " * 40 + "contributed to this report."
    assert find_attribution([LEAD, long]) == Attribution()


def test_find_attribution_of_nothing() -> None:
    assert find_attribution([]) == Attribution()


# --- derive_title -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lead", "title"),
    [
        ("Short lead. Second sentence follows.", "Short lead"),
        ("Ends with a period.", "Ends with a period"),
        ("Is it over? Not yet.", "Is it over?"),
        ("The U.S. officials met in Geneva. Then more.", "The U.S. officials met in Geneva"),
        ("“We are ready,” he said. Then more.", "“We are ready,” he said"),
        ("Crisis then. that Russia. . Next sentence.", "Crisis then that Russia"),
    ],
)
def test_derive_title_short_first_sentence(lead: str, title: str) -> None:
    assert derive_title(lead) == title


def test_derive_title_long_lead_is_cut_on_a_word_boundary() -> None:
    lead = (
        "The foreign ministers of the two countries agreed on Tuesday evening to continue "
        "negotiations about troop withdrawals next month in Vienna"
    )
    title = derive_title(lead)
    assert title.endswith("…")
    assert len(title) <= MAX_TITLE_CHARS + 1
    stem = title[:-1]
    assert lead.startswith(stem)
    assert lead[len(stem)] == " "
    assert len(stem) > 60  # it is cut near the limit, not arbitrarily short


def test_derive_title_drops_trailing_filler_words() -> None:
    lead = (
        "The minister said that the talks would continue and that the progress of the "
        "negotiations was slow"
    )
    title = derive_title(lead, limit=60)
    # Cut before "and that" (a clause boundary): no ellipsis, no trailing "and".
    assert title == "The minister said that the talks would continue"


def test_derive_title_respects_limit() -> None:
    lead = "word " * 50
    for limit in (10, 25, 90):
        title = derive_title(lead, limit=limit)
        assert len(title) <= limit + 1
        assert title.endswith("…")


def test_derive_title_single_long_word_respects_limit() -> None:
    assert len(derive_title("x" * 200)) <= MAX_TITLE_CHARS + 1


_WORDS = st.sampled_from(
    [
        "the",
        "of",
        "a",
        "and",
        "said",
        "minister",
        "Geneva",
        "talks",
        "de-escalation",
        "Russia’s",
        "on",
        "Monday",
        "2022",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORDS, min_size=1, max_size=60), st.integers(min_value=20, max_value=120))
def test_derive_title_property(words: list[str], limit: int) -> None:
    lead = " ".join(words)
    title = derive_title(lead, limit=limit)
    if len(lead) <= limit:
        assert title == lead.rstrip(" .,;:")
        return
    assert title.endswith("…")
    assert len(title) <= limit + 1
    stem = title[:-1]
    assert lead.startswith(stem)
    assert lead[len(stem)] == " "
    kept = stem.split()
    if len(kept) > 3:
        assert kept[-1].casefold() not in _TRAILING_FILLER


# --- content_hash and count_words -------------------------------------------------------------


def test_content_hash_normalises_quotes_space_and_case() -> None:
    a = "He said “we don’t know” about\nthe ‘talks’."
    b = "he  SAID \"we don't know\" about the 'talks'.  "
    assert content_hash(a) == content_hash(b)
    assert re.fullmatch(r"[0-9a-f]{64}", content_hash(a))


def test_content_hash_differs_for_different_text() -> None:
    base = content_hash("The talks will continue.")
    assert base != content_hash("The talks will not continue.")
    assert base != content_hash("The talks will continue")  # punctuation is content
    assert base != content_hash("The walks will continue.")


def test_content_hash_of_seed_ignores_crlf() -> None:
    body = parse_dated_text(seed_text()).body
    assert content_hash(body) == content_hash(body.replace("\n", "\r\n"))


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("", 0),
        ("   ", 0),
        ("Russia’s talks", 2),
        ("don't stop", 2),
        ("de-escalation now", 2),
        ("Nord Stream 2 pipeline", 4),
        ("He said. . .", 2),
        ("“Quoted,” he said.", 3),
    ],
)
def test_count_words(text: str, count: int) -> None:
    assert count_words(text) == count


# --- never crashes ----------------------------------------------------------------------------


def _parses_or_invalid(text: str) -> None:
    try:
        result = parse_dated_text(text)
    except InvalidArticle as exc:
        assert str(exc)  # a message for the person who gave the file
    else:
        assert isinstance(result, ArticleIn)
        assert result.body.strip()
        assert isinstance(result.published, dt.date)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_dated_text_arbitrary_text(text: str) -> None:
    _parses_or_invalid(text)


_HEADER_KEY = st.sampled_from(
    ["date", "Date:", "title", "source", "author", "authors", "url", "language", "lang", "x"]
)
# Textual dates go through dateutil; the time-zone case has its own test above.
_DATE_VALUE = st.lists(
    st.sampled_from(
        [
            "6",
            "January",
            "2022",
            "Jan",
            "-",
            "/",
            ",",
            "10:00",
            "Monday",
            "99999",
            "0",
            "31",
            "Feb",
            "1e9",
        ]
    ),
    max_size=6,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(
    _DATE_VALUE,
    st.lists(
        st.tuples(_HEADER_KEY, st.text(alphabet="abc:/._- \t0123456789é", max_size=15)), max_size=4
    ),
    st.text(max_size=60),
)
def test_parse_dated_text_header_like_text(
    date: str, fields: list[tuple[str, str]], body: str
) -> None:
    header = "\n".join([f"date {date}"] + [f"{k} {v}" for k, v in fields])
    _parses_or_invalid(f"{header}\n\n{body}")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.integers(min_value=1, max_value=300))
def test_decode_arbitrary_bytes(data: bytes, max_bytes: int) -> None:
    try:
        text = decode(data, max_bytes=max_bytes)
    except InvalidArticle as exc:
        assert str(exc)
    else:
        assert len(data) <= max_bytes
        assert data.strip()  # some non-whitespace byte
        assert "\x00" not in text
        assert text == data.decode("utf-8-sig")
