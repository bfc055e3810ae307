"""Analysis per article language for the Whoosh index: Snowball stems, CJK bigrams.

Layout (why): English and unknown-language articles keep the `title`/`body` fields and their
analysis exactly as before, so an English archive's index, scores and query cost do not move. An
article in another language Snowball stems puts its stemmed text in fields of its own,
`title_de`/`body_de`, `title_fr`/`body_fr`, ... (one pair per language family), and Chinese,
Japanese and Korean articles in `title_cjk`/`body_cjk` as overlapping character bigrams. The exact
fields (`title_exact`, `body_exact`: folded, unstemmed words) stay shared by every article.
Separate fields keep each language's BM25 statistics (document frequency, average length) apart
and keep the fast indexing path (fastindex.py), which recognises a stem chain by its StemFilter.
A query word is analysed once per family present in the archive (or per `lang=` family) and the
forms are OR-ed inside the word's BM25F clause (backend.py).

Stems: PyStemmer (Snowball's C implementation) for every algorithm it has; Whoosh's own Snowball
stemmers when PyStemmer lacks one; unstemmed (folded) words when neither has. French, Italian,
Catalan and Irish elisions ("l'État", "dell'economia") are cut before stemming, as Lucene does.
The classes are pickled into the index schema: renaming or moving them needs a reindex.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from whoosh.analysis import Filter, StemFilter, Token

from app.search.whoosh.analysis import PossessiveFilter, exact_analyzer

# ISO 639-1 code -> Snowball algorithm (PyStemmer's names). English is not here: it keeps the
# original `title`/`body` fields (Whoosh's Porter2, the same algorithm).
SNOWBALL: dict[str, str] = {
    "ar": "arabic",
    "hy": "armenian",
    "eu": "basque",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "nl": "dutch",
    "eo": "esperanto",
    "et": "estonian",
    "fi": "finnish",
    "fr": "french",
    "de": "german",
    "el": "greek",
    "hi": "hindi",
    "hu": "hungarian",
    "id": "indonesian",
    "ga": "irish",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "no": "norwegian",
    "fa": "persian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "st": "sesotho",
    "es": "spanish",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
# Codes that share another code's family (Bokmål and Nynorsk: Snowball's one Norwegian).
ALIASES = {"nb": "no", "nn": "no"}
CJK_CODES = frozenset({"zh", "ja", "ko"})
CJK = "cjk"
# Every family with fields of its own; "" (English, unknown, no stemmer) is the original fields.
FAMILIES: tuple[str, ...] = (*sorted(SNOWBALL), CJK)

# Leading articles and prepositions elided before a vowel (Lucene's ElisionFilter sets).
ELISIONS: dict[str, frozenset[str]] = {
    "fr": frozenset("l m t qu n s j d c jusqu quoiqu lorsqu puisqu".split()),
    "it": frozenset(
        "c l all dall dell nell sull coll pell gl agl dagl degl negl sugl un m t s v d".split()
    ),
    "ca": frozenset("d l m n s t".split()),
    "ga": frozenset("d m b".split()),
}


def family(code: str | None) -> str:
    """The field family an article in language `code` is indexed in: "" for the original
    fields (English, unknown, or a language without a Snowball stemmer)."""
    if not code:
        return ""
    code = ALIASES.get(code.lower(), code.lower())
    if code in CJK_CODES:
        return CJK
    return code if code in SNOWBALL else ""


def families(codes: Iterable[str | None]) -> tuple[str, ...]:
    """The distinct families of `codes`, "" first when present, then in name order."""
    found = {family(c) for c in codes}
    return tuple(sorted(found))


def field_family(field: str) -> str | None:
    """The family of a stemmed text field ("body" -> "", "title_de" -> "de"); None for every
    other field (exact forms, source, people)."""
    base, _, suffix = field.partition("_")
    if base not in ("title", "body"):
        return None
    if not suffix:
        return ""
    return suffix if suffix in FAMILIES else None


def _load_stemmer(algorithm: str) -> Callable[[str], str]:
    try:
        import Stemmer  # PyStemmer
    except ImportError:  # pragma: no cover - a runtime dependency; Whoosh's stemmers remain
        Stemmer = None
    if Stemmer is not None and algorithm in Stemmer.algorithms():
        # PyStemmer objects are not thread-safe: one per thread (searches run in threads).
        local = threading.local()

        def stem(word: str) -> str:
            found = getattr(local, "stemmer", None)
            if found is None:
                found = local.stemmer = Stemmer.Stemmer(algorithm)
            return str(found.stemWord(word))

        return stem
    from whoosh.lang import has_stemmer, stemmer_for_language

    code = next((c for c, a in SNOWBALL.items() if a == algorithm), "")
    if has_stemmer(code):
        return stemmer_for_language(code)
    return str


class SnowballStem:
    """A picklable stem function for one language (StemFilter's `stemfn`): folded word -> stem.
    Equal for equal languages, so each language keeps one word cache in fastindex.py."""

    def __init__(self, code: str) -> None:
        self.code = code
        self._stem: Callable[[str], str] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"code": self.code}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.code = state["code"]
        self._stem = None

    def __eq__(self, other: object) -> bool:
        return type(other) is SnowballStem and other.code == self.code

    def __hash__(self) -> int:
        return hash(("snowball", self.code))

    def __repr__(self) -> str:
        return f"SnowballStem({self.code!r})"

    def __call__(self, word: str) -> str:
        stem = self._stem
        if stem is None:
            stem = self._stem = _load_stemmer(SNOWBALL[self.code])
        elisions = ELISIONS.get(self.code)
        if elisions and "'" in word:
            head, _, tail = word.partition("'")
            if tail and head in elisions:
                word = tail
        return stem(word)


# Han (with 々 and 〇), Hiragana, Katakana (half-width too), Hangul.
CJK_CHARS = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3031-\u3035\u3038-\u303c"
    "\u3040-\u30ff\u3130-\u318f\u31a0-\u31bf\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
_RUNS = re.compile(f"([{CJK_CHARS}]+)")
_HAS_CJK = re.compile(f"[{CJK_CHARS}]")


def has_cjk(text: str) -> bool:
    return _HAS_CJK.search(text) is not None


def bigrams(word: str) -> list[tuple[int, str]]:
    """A folded word as CJKAnalyzer indexes it, with each piece's character offset: runs of CJK
    characters as overlapping bigrams (a lone character stays a unigram), other runs whole."""
    if not _HAS_CJK.search(word):
        return [(0, word)]
    out: list[tuple[int, str]] = []
    at = 0
    for i, run in enumerate(_RUNS.split(word)):
        if run:
            # split() alternates other text and CJK runs; a lone character stays whole.
            if i % 2 == 0 or len(run) == 1:
                out.append((at, run))
            else:
                out.extend((at + j, run[j : j + 2]) for j in range(len(run) - 1))
        at += len(run)
    return out


class CJKBigramFilter(Filter):
    """Each token cut into CJK bigrams and other runs (`bigrams`), positions renumbered."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:  # type: ignore[override]
        pos = 0
        for token in tokens:
            start = getattr(token, "startchar", None)
            for offset, piece in bigrams(token.text):
                token.text = piece
                token.pos = pos
                if token.chars and start is not None:
                    token.startchar = start + offset
                    token.endchar = start + offset + len(piece)
                pos += 1
                yield token


@functools.lru_cache(maxsize=64)
def stem_function(name: str) -> Callable[[str], str]:
    """Family `name`'s stemmer with a word cache (highlighting stems every token it shows)."""
    return functools.lru_cache(maxsize=50_000)(SnowballStem(name))


def cjk_analyzer() -> Any:
    return exact_analyzer() | CJKBigramFilter()


def language_analyzer(name: str) -> Any:
    """The stemmed-field analyzer of family `name` (not ""): the exact chain, possessive and
    a StemFilter with the language's Snowball stemmer, the shape fastindex.py recognises."""
    if name == CJK:
        return cjk_analyzer()
    return exact_analyzer() | PossessiveFilter() | StemFilter(SnowballStem(name), cachesize=50_000)
