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
import re
from collections.abc import Callable, Iterable, Iterator
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


def fold_word(text: str) -> str:
    """One token as the exact analyzer indexes it: lower case, accents folded, curly
    apostrophes straightened, acronym dots dropped."""
    text = text.lower()
    if not text.isascii():
        text = text.translate(_ACCENTS)
        if "’" in text or "‘" in text:
            text = text.replace("’", "'").replace("‘", "'")
    if "." in text:
        text = text.replace(".", "")
    return text


class NewsFoldFilter(Filter):
    """LowercaseFilter, CharsetFilter(accent_map) and NewsNormalizeFilter in one pass, with the
    same output: accents are folded only in tokens that are not plain ASCII (nearly all English
    tokens are, and `str.translate` with the accent map cost a third of indexing and
    highlighting time, measured with pyinstrument)."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:  # type: ignore[override]
        for token in tokens:
            token.text = fold_word(token.text)
            yield token


def strip_possessive(word: str) -> str:
    """ "russia's" and "hens'" -> "russia", "hens" (a folded word, before stemming)."""
    if word.endswith("'s"):
        return word[:-2]
    if word.endswith("'"):
        return word[:-1]
    return word


class PossessiveFilter(Filter):
    """ "russia's" and "hens'" -> "russia", "hens" before stemming."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:  # type: ignore[override]
        for token in tokens:
            token.text = strip_possessive(token.text)
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
    return str(_STEMMER._stem(strip_possessive(word)))


_STEMMER = StemFilter(lang="en", cachesize=0)


class MarkMatchesFilter(Filter):
    """For highlighting: replaces the text of every token that matches the query with a marker,
    so Whoosh's highlighter can find matches by exact form, by stem, or by prefix at once."""

    MARK = "\x00match"

    def __init__(self, exact: frozenset[str], stems: frozenset[str], prefixes: tuple[str, ...]):
        self.exact = exact
        self.stems = stems
        self.prefixes = prefixes

    def matches(self, text: str) -> bool:
        """Whether a folded token (as the exact analyzer yields it) is one the query marks."""
        return (
            text in self.exact
            or bool(self.prefixes and text.startswith(self.prefixes))
            or bool(self.stems and _stem_word(text) in self.stems)
        )

    def locate(self, text: str) -> int | None:
        """Offset in `text` of the first token this filter would mark; None when there is none.

        A regular expression finds the places where such a token can start (see `probe`), and
        only the token there is analysed, instead of every token of the text."""
        for found in self.probe().finditer(text):
            token = _TOKEN.match(text, found.start())
            if token and self.matches(fold_word(token.group())):
                return found.start()
        return None

    def probe(self) -> re.Pattern[str]:
        return probe(self.exact, self.stems, self.prefixes)

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:  # type: ignore[override]
        for token in tokens:
            if self.matches(token.text):
                token.text = self.MARK
            yield token


class LanguagesMarkFilter(MarkMatchesFilter):
    """MarkMatchesFilter in an archive of several languages: also marks the words whose stem in
    another language is one of the query's stems in it, and the tokens that hold a query word
    (a CJK word inside a run of characters). A subclass, so that an English archive's
    highlighting (every token of every snippet) runs exactly the code it always ran."""

    def __init__(
        self,
        exact: frozenset[str],
        stems: frozenset[str],
        prefixes: tuple[str, ...],
        others: tuple[tuple[Callable[[str], str], frozenset[str]], ...],
        inside: tuple[str, ...],
    ):
        super().__init__(exact, stems, prefixes)
        self.others = others  # (stem function, the query's stems) per other language
        self.inside = inside

    def matches(self, text: str) -> bool:
        if super().matches(text):
            return True
        word = strip_possessive(text)
        return any(stem(word) in stems for stem, stems in self.others) or any(
            w in text for w in self.inside
        )

    def probe(self) -> re.Pattern[str]:
        # Other languages' stems, loosely: their first three letters (candidates are checked).
        leads = frozenset(s[:3] for _, found in self.others for s in found)
        return probe(self.exact, self.stems | leads, self.prefixes, self.inside)


_TOKEN = re.compile(TOKEN_PATTERN)
# Every character that folds to a letter ("é", "É" -> "e"), for a probe that needs no folded copy.
_VARIANTS: dict[str, set[str]] = {"'": {"’", "‘"}}
for _code, _base in _ACCENTS.items():
    _VARIANTS.setdefault(_base.lower(), set()).add(chr(_code))


def stem_lead(stem: str) -> str:
    """Letters that every word with this Snowball stem starts with (at most five).

    A stem is its words' beginning, except where the stemmer rewrote the end: "happy" -> "happi",
    "hoping" -> "hope", "ties" -> "tie", "dying" -> "die", "skies" -> "sky", "inability" ->
    "inabl". Checked on the 142,622 distinct tokens of ../shared/corpora: no word that stems to
    `stem` fails to start with this (tests/search/test_snippets.py repeats the check when
    present)."""
    if stem.endswith(("ie", "bl")):
        stem = stem[:-2]
    elif stem.endswith(("i", "e", "y")):
        stem = stem[:-1]
    return stem[:5]


def _letters(lead: str) -> str:
    # Acronyms keep their dots in the text ("U.S." is the token "us"), so a dot may follow any
    # letter; accented letters match their unaccented form.
    parts = []
    for char in lead:
        variants = _VARIANTS.get(char)
        escaped = re.escape(char)
        parts.append(f"[{escaped}{''.join(sorted(variants))}]" if variants else escaped)
    return r"\.?".join(parts)


@functools.lru_cache(maxsize=256)
def probe(
    exact: frozenset[str],
    stems: frozenset[str],
    prefixes: tuple[str, ...],
    inside: tuple[str, ...] = (),
) -> re.Pattern[str]:
    """A pattern matching, case-blind, at the start of every token that MarkMatchesFilter(exact,
    stems, prefixes) marks, and at some others (a candidate is checked before it counts); with
    `inside`, also at the start of every token holding one of those words."""
    leads = {w[:5] for w in exact} | {p[:5] for p in prefixes} | {stem_lead(s) for s in stems}
    if "" in leads:  # a stem shorter than its rewritten end: any word may match
        return re.compile(r"\b\w", re.IGNORECASE)
    alternatives = "|".join(_letters(lead) for lead in sorted(leads, key=len, reverse=True))
    if inside:
        words = "|".join(re.escape(w) for w in inside)
        alternatives += rf"|(?=\w*?(?:{words}))"
    return re.compile(rf"\b(?:{alternatives})", re.IGNORECASE)
