""" "Did you mean": a corrected query when some words of a query are missing or rare.

Corrections come from the archive's own vocabulary: every spelling one edit away (a letter
dropped, added, changed or two swapped; else the common two-edit typos) that the index knows,
the most widespread one winning. A word the archive knows but rarely ("goverment", 3 articles)
is corrected too when a neighbour is far more widespread ("government", 932).
The same for every backend: it only needs `doc_frequencies`.
"""

from __future__ import annotations

import dataclasses
import re
import string

from app.archive import Archive
from app.search import query as q
from app.search.query import parse_query, to_text
from app.services.searching import SearchParams, search_articles

# Suggest for a word the archive does not know, or for a rare word (at most RARE_DF articles)
# whose neighbour is at least RARE_RATIO times as widespread ("goverment" 3, "government" 932).
RARE_DF = 10
RARE_RATIO = 50
MIN_WORD, MAX_WORD = 3, 30
VERIFY = 4  # candidates checked against article text, most widespread first
_LETTERS = re.compile(r"^[^\W\d_]+$")


def one_edit(word: str) -> set[str]:
    """Every string one deletion, transposition, substitution or insertion away."""
    letters = set(string.ascii_lowercase) | set(word)
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in letters}
    out |= {a + c + b for a, b in splits for c in letters}
    out.discard(word)
    return {w for w in out if len(w) >= 2}


def two_edits(word: str) -> set[str]:
    """The two-edit typos people make, not all ~100,000 strings two edits away: two letters
    swapped anywhere ("ecomony"), two letters dropped ("deescalation"), a letter moved."""
    out = set()
    n = len(word)
    for i in range(n):
        rest = word[:i] + word[i + 1 :]
        for j in range(n - 1):
            out.add(rest[:j] + rest[j + 1 :])  # a second letter dropped
        for j in range(n):
            out.add(rest[:j] + word[i] + rest[j:])  # the letter put back elsewhere
        for j in range(i + 2, n):
            out.add(word[:i] + word[j] + word[i + 1 : j] + word[i] + word[j + 1 :])
    out -= one_edit(word) | {word}
    return {w for w in out if len(w) >= 2}


def _candidate_words(archive: Archive, node: q.Node) -> dict[str, int]:
    """The query's plain words (in the text or title) that are missing or rare, with how many
    articles hold each."""
    words = [
        leaf.text.lower()
        for leaf in q.positive_leaves(node)
        if isinstance(leaf, q.Term)
        and leaf.field in (None, "title", "body")
        and _LETTERS.match(leaf.text)
        and MIN_WORD <= len(leaf.text) <= MAX_WORD
    ]
    known = archive.search.doc_frequencies(words) if words else {}
    return {w: known.get(w, 0) for w in dict.fromkeys(words) if known.get(w, 0) <= RARE_DF}


def _appears(archive: Archive, word: str) -> bool:
    """Whether `word` itself, not only a word with its stem, is in an article that matches it."""
    found = search_articles(archive, params=SearchParams(q=word, page_size=3), snippets=False)
    spelled = re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE)
    return any(spelled.search(f"{i.article.title} {i.article.body}") for i in found.items)


def _best(archive: Archive, candidates: set[str], *, need: int) -> str | None:
    """The most widespread candidate with at least `need` articles that an article really
    spells: counts are per stem, so "overment" counts every "over" and "blinkene" every
    "blinken"; a spelling is only offered once a matching article is seen to contain it."""
    ordered = sorted(candidates)
    counts = archive.search.doc_frequencies(ordered) if ordered else {}
    likely = sorted((c for c in ordered if counts.get(c, 0) >= need), key=lambda c: -counts[c])
    return next((c for c in likely[:VERIFY] if _appears(archive, c)), None)


def correction(archive: Archive, word: str, *, df: int) -> str | None:
    """The most widespread spelling one edit away (for a missing word, else two) that is known
    (for a missing word) or RARE_RATIO times as widespread (for a rare one)."""
    need = max(1, df * RARE_RATIO)
    found = _best(archive, one_edit(word), need=need)
    if found is None and df == 0:  # a rare word is often a real one: one edit is enough there
        found = _best(archive, two_edits(word), need=need)
    return found


def _replace(node: q.Node, fixes: dict[str, str]) -> q.Node:
    if isinstance(node, q.Term):
        fixed = fixes.get(node.text.lower())
        return dataclasses.replace(node, text=fixed) if fixed else node
    if isinstance(node, q.Not):
        return q.Not(_replace(node.child, fixes))
    if isinstance(node, q.And | q.Or):
        return type(node)(tuple(_replace(c, fixes) for c in node.children))
    return node


def did_you_mean(archive: Archive, *, params: SearchParams, total: int) -> str | None:
    """A corrected query that finds more than `total` results, or None. Field terms
    (`title:goverment`) are corrected in place."""
    if not params.q:
        return None
    node = parse_query(params.q)
    if node is None:
        return None
    fixes: dict[str, str] = {}
    for word, df in _candidate_words(archive, node).items():
        if df and total > df * RARE_RATIO:  # the query finds plenty through its other words
            continue
        if fixed := correction(archive, word, df=df):
            fixes[word] = fixed
    if not fixes:
        return None
    corrected = to_text(_replace(node, fixes))
    better = search_articles(
        archive,
        params=dataclasses.replace(params, q=corrected, page=1, page_size=1),
        snippets=False,
    )
    return corrected if better.total > total else None


_PLAIN_WORD = re.compile(r"[^\W_](?:[\w'’.-]*[^\W_])?")
_OPERATORS = frozenset({"AND", "OR", "NOT"})
_FIELD_PREFIX = re.compile(r"\b[A-Za-z]+:")


def as_plain_words(text: str) -> str | None:
    """A query that failed to parse, as plain words ("(oil AND" -> "oil"; operators and field
    names dropped): what "search these words as plain text" offers. None when no words are
    left or they still fail."""
    text = _FIELD_PREFIX.sub(" ", text)
    words = [w for w in _PLAIN_WORD.findall(text) if w not in _OPERATORS]
    plain = " ".join(words)
    if not plain:
        return None
    try:
        return plain if parse_query(plain) is not None else None
    except q.QuerySyntaxError:
        return None


def has_text_words(text: str) -> bool:
    """Whether a query looks for words of the text or title (not only `author:` or `source:`
    terms): only then can a reading page mark what it found."""
    try:
        node = parse_query(text)
    except q.QuerySyntaxError:
        return False
    if node is None:
        return False
    return any(
        getattr(leaf, "field", None) in (None, "title", "body") for leaf in q.positive_leaves(node)
    )
