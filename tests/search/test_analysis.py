"""The Whoosh analyzers: the one-pass fold filter must give exactly the tokens of the chain it
replaced (indexes made before it still analyse with that chain, and both must agree)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer
from whoosh.support.charset import accent_map

from app.search.whoosh.analysis import (
    TOKEN_PATTERN,
    NewsNormalizeFilter,
    exact_analyzer,
    stem_analyzer,
)

OLD_EXACT = (
    RegexTokenizer(TOKEN_PATTERN)
    | LowercaseFilter()
    | CharsetFilter(accent_map)
    | NewsNormalizeFilter()
)


def tokens(analyzer: object, text: str) -> list[tuple[str, int, int, int]]:
    return [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in analyzer(text, positions=True, chars=True)  # type: ignore[operator]
    ]


WORDS = ["U.S.", "Ə", "日本", "Zürich", "CAFÉ", "Russia’s", "hens’", "ẞ", "İstanbul", "Ĺ"]
PIECES = st.one_of(st.sampled_from(list("abcXYZ .,'’‘-2éÉüøØßÅÐñœŁ")), st.sampled_from(WORDS))


@given(st.lists(PIECES, max_size=30).map("".join) | st.text(max_size=40))
@settings(max_examples=400, deadline=None)
def test_fold_filter_gives_the_same_tokens_as_the_old_chain(text: str) -> None:
    assert tokens(exact_analyzer(), text) == tokens(OLD_EXACT, text)


def test_news_tokens() -> None:
    text = "The U.S. and Russia’s CAFÉ owners met in Zürich on May 2"
    assert [t for t, *_ in tokens(exact_analyzer(), text)] == [
        "the", "us", "and", "russia's", "cafe", "owners", "met", "in", "zurich", "on", "may", "2",
    ]  # fmt: skip
    assert [t.text for t in stem_analyzer()("Russia’s elections")] == ["russia", "elect"]
