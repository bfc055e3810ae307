"""Snippets from long articles: the Whoosh backend's `locate` finds the first word highlighting
would mark without analysing the whole text, and must never miss one (a miss would show the
article's lead instead of the passage that matched)."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.archive import Archive
from app.search.query import parse_query
from app.search.whoosh.analysis import MarkMatchesFilter, _stem_word, exact_analyzer, stem_lead
from app.services.searching import SearchParams, lead_snippet, search_articles
from tests.factories import add, make_item


def first_marked(archive: Archive, q: str, text: str) -> int | None:
    """The slow, sure answer: analyse every token and take the first one marked."""
    marker = archive.search._marker(parse_query(q))  # type: ignore[attr-defined]
    assert marker is not None
    for token in (exact_analyzer() | marker)(text, chars=True):
        if token.text == MarkMatchesFilter.MARK:
            return int(token.startchar)
    return None


@pytest.mark.parametrize(
    ("q", "text", "word"),
    [
        ("cafe", "Nothing here. We met at the Café Central.", "Café"),
        ("café", "Nothing here. We met at the cafe.", "cafe"),
        ("US", "Talks with the U.S. delegation", "U.S."),
        ("Russia's", "Officials in Russia’s capital", "Russia’s"),
        ("happy", "She spoke of happiness", "happiness"),
        ("died", "The dying man", "dying"),
        ("skies", "Under the sky today", "sky"),
        ("inability", "Their inabilities were plain", "inabilities"),
        ("hopping", "The rabbit hops", "hops"),
        ("elect*", "An electoral roll", "electoral"),
        ('"were postponed"', "Weather was fine; elections were postponed.", "were"),
        ("war", "Washington was wary of the warring sides", "warring"),
    ],
)
def test_locate_finds_the_first_marked_word(archive: Archive, q: str, text: str, word: str) -> None:
    at = archive.search.locate(parse_query(q), text)
    assert at == text.index(word) == first_marked(archive, q, text)


def test_locate_answers_none_when_no_word_matches(archive: Archive) -> None:
    text = "An electric car show opened in Washington; nothing else happened."
    assert archive.search.locate(parse_query("elections"), text) is None
    assert archive.search.locate(parse_query("war"), text) is None
    assert first_marked(archive, "war", text) is None


_WORDS = [
    "war", "wary", "warring", "was", "Washington", "U.S.", "us", "use", "café", "CAFE", "cafes",
    "happy", "happiness", "happier", "dying", "died", "dies", "sky", "skies", "ski", "inability",
    "able", "Russia’s", "russian", "elect", "elections", "electric", "2", "22", "hop", "hopping",
    "hoped", "ties", "tied", "the", "of", "—", "“quoted”", "naïve", "naive",
]  # fmt: skip


# The archive fixture is only read here, so sharing it between examples is safe.
@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    words=st.lists(st.sampled_from(_WORDS), min_size=0, max_size=40),
    query=st.lists(st.sampled_from(_WORDS[:-4]), min_size=1, max_size=3),
)
def test_locate_agrees_with_analysing_every_word(
    archive: Archive, words: list[str], query: list[str]
) -> None:
    text = " ".join(words)
    q = " OR ".join(w for w in query if any(c.isalnum() for c in w)) or "war"
    assert archive.search.locate(parse_query(q), text) == first_marked(archive, q, text)


def test_stem_lead_holds_for_every_word_of_the_corpora(corpora: Path) -> None:
    # The rule behind the probe: every word with stem s starts with stem_lead(s).
    analyzer = exact_analyzer()
    words: collections.Counter[str] = collections.Counter()
    for path in sorted((corpora / "reuters21578" / "sgml").glob("*.sgm")):
        text = path.read_text(encoding="utf-8", errors="ignore")
        words.update(t.text for t in analyzer(text))
    assert len(words) > 10_000
    bad = [w for w in words if not w.startswith(stem_lead(_stem_word(w)))]
    assert bad == []


def test_title_only_matches_show_the_lead(archive: Archive) -> None:
    filler = " ".join(f"Sentence {i} about the weather and the harvest." for i in range(60))
    add(archive, make_item(filler, title="Elections postponed", date="2021-01-01"))
    page = search_articles(archive, params=SearchParams(q="elections"))
    assert page.total == 1
    assert page.items[0].snippet == lead_snippet(filler)


def test_a_false_lead_before_the_match_is_skipped(archive: Archive) -> None:
    filler = " ".join(f"Filler sentence number {i} about the weather." for i in range(120))
    body = f"{filler} Washington was wary. {filler} The war began. {filler}"
    add(archive, make_item(body, title="Report", date="2021-01-01"))
    snippet = str(search_articles(archive, params=SearchParams(q="war")).items[0].snippet)
    assert "<mark>war</mark> began" in snippet
    assert "<mark>" not in snippet.replace("<mark>war</mark>", "")


def test_a_match_near_the_start_of_a_long_article_is_marked_in_a_short_window(
    archive: Archive,
) -> None:
    # The window starts before the match; a match in the first 150 characters must not make
    # it start at a negative offset (once an empty window, so the whole text was highlighted).
    filler = " ".join(f"Filler sentence number {i} about the weather." for i in range(120))
    add(archive, make_item(f"The war began. {filler} The war ended.", date="2021-01-01"))
    marked = []
    original = archive.search.highlight

    def spy(query, text, *, whole=False):  # type: ignore[no-untyped-def]
        marked.append(len(text))
        return original(query, text, whole=whole)

    archive.search.highlight = spy  # type: ignore[method-assign]
    snippet = str(search_articles(archive, params=SearchParams(q="war")).items[0].snippet)
    assert "The <mark>war</mark> began" in snippet
    assert len(marked) == 1 and marked[0] < 800
