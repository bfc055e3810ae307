"""Analyzers for news text in Whoosh.

Whoosh's default StemmingAnalyzer drops "us", "may", "will", "can", "not" and every one-character
token ("2" in "Nord Stream 2"): fatal for news. We keep every token, fold curly apostrophes and
accents, read "U.S." as "us", and index two forms of each text field: stemmed (recall) and exact
(precision), so that stemming widens a search without burying exact matches.

These classes are pickled into the index schema: renaming or moving them needs a reindex.
(`type: ignore[override]` on `__call__`: Whoosh's own Filter and Composable signatures disagree.)
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from typing import Any

from whoosh.analysis import (
    Filter,
    RegexTokenizer,
    StemFilter,
    Token,
)
from whoosh.support.charset import accent_map

# Acronyms with dots ("U.S.", "U.K.") as one token; otherwise word characters with inner
# apostrophes ("Russia’s", "don't"). Hyphens split words: "de-escalation" is a two-word phrase.
TOKEN_PATTERN = r"(?:[^\W\d_]\.){2,}|\w+(?:['’]\w+)*"


class NewsNormalizeFilter(Filter):
    """Curly apostrophes become straight ones; dots leave acronyms ("u.s." -> "us")."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:  # type: ignore[override]
        for token in tokens:
            text = token.text
            if "’" in text or "‘" in text:
                text = text.replace("’", "'").replace("‘", "'")
            if "." in text:
                text = text.replace(".", "")
            token.text = text
            yield token


# Whoosh types its map as dict[str, str]; its keys are in fact code points, as translate() wants.
_ACCENTS: dict[int, str] = accent_map  # type: ignore[assignment]


class NewsFoldFilter(Filter):
    """LowercaseFilter, CharsetFilter(accent_map) and NewsNormalizeFilter in one pass, with the
    same output: accents are folded only in tokens that are not plain ASCII (nearly all English
    tokens are, and `str.translate` with the accent map cost a third of indexing and
    highlighting time, measured with pyinstrument)."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:  # type: ignore[override]
        for token in tokens:
            text = token.text.lower()
            if not text.isascii():
                text = text.translate(_ACCENTS)
                if "’" in text or "‘" in text:
                    text = text.replace("’", "'").replace("‘", "'")
            if "." in text:
                text = text.replace(".", "")
            token.text = text
            yield token


class PossessiveFilter(Filter):
    """ "russia's" and "hens'" -> "russia", "hens" before stemming."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:  # type: ignore[override]
        for token in tokens:
            text = token.text
            if text.endswith("'s"):
                token.text = text[:-2]
            elif text.endswith("'"):
                token.text = text[:-1]
            yield token


def exact_analyzer() -> Any:
    # Indexes made before NewsFoldFilter existed keep the three filters it replaces pickled in
    # their schema (LowercaseFilter, CharsetFilter, NewsNormalizeFilter): same tokens, slower.
    return RegexTokenizer(TOKEN_PATTERN) | NewsFoldFilter()


def stem_analyzer() -> Any:
    return exact_analyzer() | PossessiveFilter() | StemFilter(lang="en", cachesize=100_000)


@functools.lru_cache(maxsize=200_000)
def _stem_word(word: str) -> str:
    """Possessive stripped, then stemmed; shared by every snippet (a filter is made per snippet,
    so a per-instance cache would start cold every time)."""
    if word.endswith("'s"):
        word = word[:-2]
    elif word.endswith("'"):
        word = word[:-1]
    return str(_STEMMER._stem(word))


_STEMMER = StemFilter(lang="en", cachesize=0)


class MarkMatchesFilter(Filter):
    """For highlighting: replaces the text of every token that matches the query with a marker,
    so Whoosh's highlighter can find matches by exact form, by stem, or by prefix at once."""

    MARK = "\x00match"

    def __init__(self, exact: frozenset[str], stems: frozenset[str], prefixes: tuple[str, ...]):
        self.exact = exact
        self.stems = stems
        self.prefixes = prefixes

    def stem(self, word: str) -> str:
        return _stem_word(word)

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:  # type: ignore[override]
        for token in tokens:
            text = token.text
            if (
                text in self.exact
                or (self.prefixes and text.startswith(self.prefixes))
                or (self.stems and self.stem(text) in self.stems)
            ):
                token.text = self.MARK
            yield token
