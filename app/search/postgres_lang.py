"""Which analyses a PostgreSQL query is built with, one per language it may hit.

Each row's vectors are built with its language's configuration (migration d7e2a4c9b1f5:
`na_config(language)` over `na_text(language, text)`), so a query word is analysed once per
language of the articles it may match, and the tsqueries are OR-ed: a German word then finds
German stems, English ones alike. The languages are those given with `lang=`, else those stored
(read from the language index per query: a write is searchable in its language at once).
Languages sharing an analysis (no language and English; Norwegian's three codes; every language
without a stemmer) are analysed once, by a representative code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, literal, literal_column, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

# The migration's ISO 639-1 -> Snowball stemmer map (tests check the database agrees).
SNOWBALL = {
    "ar": "arabic",
    "ca": "catalan",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nb": "norwegian",
    "ne": "nepali",
    "nl": "dutch",
    "nn": "norwegian",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
CJK = frozenset({"ja", "ko", "zh"})
ENGLISH = "en"
# Any code na_config does not know: unstemmed, accents folded.
OTHER = "und"
# A code per stemmer (the first in the map), so codes sharing one are analysed once.
_BY_STEMMER = {stemmer: code for code, stemmer in reversed(SNOWBALL.items())}

STEMMED: ColumnElement[Any] = literal_column("'na_english'::regconfig")

# The distinct stored languages by a loose scan of ix_articles_language (one probe per
# language, not a read of every row), and whether any article has none.
_PRESENT = text(
    """WITH RECURSIVE l(lang) AS (
         (SELECT min(language) FROM articles)
         UNION ALL
         SELECT (SELECT min(language) FROM articles WHERE language > l.lang)
           FROM l WHERE l.lang IS NOT NULL)
       SELECT lang FROM l WHERE lang IS NOT NULL
       UNION ALL
       SELECT NULL WHERE EXISTS (SELECT 1 FROM articles WHERE language IS NULL)"""
)


def representative(code: str | None) -> str:
    """The code a language is analysed by: English for none, one per stemmer, `zh` for CJK."""
    if code is None:
        return ENGLISH
    code = code.lower()
    if code in CJK:
        return "zh"
    stemmer = SNOWBALL.get(code)
    return _BY_STEMMER[stemmer] if stemmer else OTHER


def analyses(codes: Iterable[str | None]) -> tuple[str, ...]:
    """The distinct analyses of `codes`, English first (so an English archive's query is the
    one it always was), the rest sorted; English alone when there are none."""
    found = {representative(code) for code in codes}
    rest = sorted(found - {ENGLISH})
    return (ENGLISH, *rest) if ENGLISH in found or not rest else tuple(rest)


def query_languages(conn: Connection, given: Sequence[str]) -> tuple[str, ...]:
    """The analyses a query is built with: the `lang=` languages, else the stored ones."""
    if given:
        return analyses(given)
    return analyses(row[0] for row in conn.execute(_PRESENT))


def tsquery(languages: Sequence[str], words: str) -> ColumnElement[Any]:
    """`words` (already acronym-normalised) as a phrase tsquery per analysis, OR-ed."""
    parts: list[ColumnElement[Any]] = []
    for code in languages:
        if code == ENGLISH:
            # Exactly the English query built before languages: English ranking cannot move.
            parts.append(func.phraseto_tsquery(STEMMED, words))
        else:
            # `code` is one of this module's constants, never user input.
            lang = literal(code)
            parts.append(func.phraseto_tsquery(func.na_config(lang), func.na_text(lang, words)))
    combined = parts[0]
    for part in parts[1:]:
        combined = combined.op("||")(part)
    return combined
