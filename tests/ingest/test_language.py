"""Language tags normalised to ISO 639-1, and detection on short news text."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.ingest.html_reader import parse_html
from app.ingest.language import detect, display_name, language_of, normalise
from tests.multilingual import fixtures


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("en", "en"),
        ("en-GB", "en"),
        ("EN_us", "en"),
        ("de-AT", "de"),
        ("deu", "de"),
        ("ger", "de"),
        ("zh-Hant-TW", "zh"),
        ("iw", "he"),
        ("haw", "haw"),  # no ISO 639-1 code: kept
        ("und", None),
        ("", None),
        (None, None),
        ("not a tag", None),
        ("e", None),
    ],
)
def test_tags_become_iso_639_1(tag: str | None, code: str | None) -> None:
    assert normalise(tag) == code


@pytest.mark.parametrize("fixture", fixtures(), ids=lambda f: f"{f.lang}:{f.title[:20]}")
def test_every_fixture_is_detected(fixture) -> None:  # type: ignore[no-untyped-def]
    assert detect(fixture.title, fixture.body) == fixture.lang


def test_too_little_text_is_unknown() -> None:
    assert detect("", "2022") is None
    assert detect(None, "Oil up") is None


def test_a_given_language_wins_over_detection() -> None:
    german = next(f for f in fixtures() if f.lang == "de")
    assert language_of("en-GB", german.title, german.body) == "en"
    assert language_of(None, german.title, german.body) == "de"
    assert language_of("und", german.title, german.body) == "de"


def test_display_names() -> None:
    assert display_name("de") == "German (de)"
    assert display_name("haw") == "haw"


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("page", "lang"),
    [
        ("html_trafilatura/spiegel.de.albtraum.html", "de"),
        ("html_trafilatura/heise.de.lithium.html", "de"),
        ("html_trafilatura/zeit.de.zugverkehr.html", "de"),
        ("html_trafilatura/sueddeutsche.de.flixtrain.html", "de"),
        ("html_newspaper/vogue.de2.html", "de"),
        ("html_newspaper/japanese_article.html", "ja"),
        ("html_trafilatura/theguardian.com.academics.html", "en"),
    ],
)
def test_corpus_pages_are_detected_without_their_tag(corpora: Path, page: str, lang: str) -> None:
    article = parse_html((corpora / "messy_formats" / page).read_bytes(), origin=page)
    assert normalise(article.language) == lang  # what the page declares
    assert detect(article.title, article.body) == lang  # and what its text says
