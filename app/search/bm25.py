"""BM25 as the Whoosh backend computes it, for backends that score matches themselves.

The Whoosh backend scores each query word in four fields (title and body, stemmed and exact
form) with Whoosh's BM25, `idf * tf * (k1 + 1) / (tf + k1 * ((1 - b) + b * length / average))`,
each field with its own document frequency and average length, a title field weighted
TITLE_BOOST, an exact field EXACT_BOOST, and a derived title's term frequencies times
DERIVED_TITLE_BOOST. Phrases sum their words' scores in the stemmed fields only; an AND adds 1
for each NOT it satisfies. `word_score` and `score_tree` are that formula, in one place.

Fields are named as PostgreSQL's statistics name them: "A" title and "D" body (stemmed),
"a" and "d" their exact forms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from app.search import query as q
from app.search.base import (
    BM25_B,
    BM25_K1,
    DERIVED_TITLE_BOOST,
    EXACT_BOOST,
    TITLE_BOOST,
    ranking_idf,
)

# What one NOT inside an AND adds to a document's score (as Whoosh's InverseMatcher does).
NOT_SCORE = 1.0


def bm25(tf: float, length: float, average: float, idf: float) -> float:
    """One field's BM25 weight for a word found `tf` times in a field `length` tokens long."""
    if tf <= 0:
        return 0.0
    norm = BM25_K1 * ((1 - BM25_B) + BM25_B * length / (average or 1.0))
    return idf * ((tf * (BM25_K1 + 1)) / (tf + norm))


@dataclass(frozen=True)
class Collection:
    """What idf and length normalisation need: article count, average field lengths, and the
    number of articles with each lexeme per field ((lexeme, field) -> count)."""

    docs: int
    title_average: float
    body_average: float
    df: dict[tuple[str, str], int] = field(default_factory=dict)

    def idf(self, lexeme: str, field: str) -> float:
        return ranking_idf(max(self.docs, 1), self.df.get((lexeme, field), 0))


@dataclass
class DocTerms:
    """One candidate article: its field lengths and the query lexemes' frequencies in it."""

    title_len: int
    body_len: int
    title_derived: bool
    # lexeme -> (frequency in the title, frequency in the body), stemmed and exact forms
    tf: dict[str, tuple[int, int]]
    exact_tf: dict[str, tuple[int, int]] = field(default_factory=dict)
    # For leaves whose match the frequencies cannot tell (phrases, prefixes): leaf -> whether
    # it matches in (title, body).
    matches: dict[q.Node, tuple[bool, bool]] = field(default_factory=dict)


@dataclass(frozen=True)
class Leaf:
    """A text leaf of the query as the scorer sees it: its lexemes, and which fields count."""

    lexemes: tuple[str, ...]
    title: bool
    body: bool
    # One word, not a phrase or prefix: also scored in the exact-form fields, by these forms.
    exact: tuple[str, ...] = ()


def word_score(
    stats: Collection, doc: DocTerms, lexeme: str, *, title: bool, body: bool, exact: bool
) -> float:
    """One lexeme's BM25 in the title and body of `doc` (their exact forms when `exact`)."""
    title_tf, body_tf = (doc.exact_tf if exact else doc.tf).get(lexeme, (0, 0))
    title_field, body_field = ("a", "d") if exact else ("A", "D")
    score = 0.0
    if body and body_tf:
        idf = stats.idf(lexeme, body_field)
        score += bm25(body_tf, doc.body_len, stats.body_average, idf)
    if title and title_tf:
        tf = title_tf * (DERIVED_TITLE_BOOST if doc.title_derived else 1.0)
        idf = stats.idf(lexeme, title_field)
        score += TITLE_BOOST * bm25(tf, doc.title_len, stats.title_average, idf)
    return EXACT_BOOST * score if exact else score


def leaf_score(stats: Collection, doc: DocTerms, node: q.Node, leaf: Leaf) -> float:
    """A leaf's score: each field where it matches adds its lexemes' BM25."""
    title, body = leaf.title, leaf.body
    if node in doc.matches:
        in_title, in_body = doc.matches[node]
        title, body = title and in_title, body and in_body
    stemmed = sum(
        word_score(stats, doc, lexeme, title=title, body=body, exact=False)
        for lexeme in leaf.lexemes
    )
    return stemmed + sum(
        word_score(stats, doc, lexeme, title=title, body=body, exact=True) for lexeme in leaf.exact
    )


def score_tree(
    node: q.Node, leaf_of: Callable[[q.Node], Leaf | None], stats: Collection, doc: DocTerms
) -> float:
    """A matching document's score for the whole query: OR adds its matching children's scores,
    AND its children's plus NOT_SCORE per NOT, as Whoosh's matchers do."""
    return _evaluate(node, leaf_of, stats, doc)[1]


def _evaluate(
    node: q.Node, leaf_of: Callable[[q.Node], Leaf | None], stats: Collection, doc: DocTerms
) -> tuple[bool, float]:
    """(whether `doc` matches `node`, its score for it: 0 when it does not match)."""
    if isinstance(node, q.Not):
        return not _evaluate(node.child, leaf_of, stats, doc)[0], 0.0
    if isinstance(node, q.And | q.Or):
        parts = []
        for child in node.children:
            matched, score = _evaluate(child, leaf_of, stats, doc)
            parts.append((matched, NOT_SCORE if isinstance(child, q.Not) else score))
        if isinstance(node, q.Or):
            matched = any(m for m, _ in parts)
            return matched, sum(s for m, s in parts if m)
        matched = all(m for m, _ in parts)
        return matched, sum(s for _, s in parts) if matched else 0.0
    leaf = leaf_of(node)
    if leaf is None:
        # Not scored (source:, author:); whether it matches was asked of the database.
        return any(doc.matches.get(node, (True, True))), 0.0
    if not _matches(doc, node, leaf):
        return False, 0.0
    return True, leaf_score(stats, doc, node, leaf)


def _matches(doc: DocTerms, node: q.Node, leaf: Leaf) -> bool:
    if node in doc.matches:
        in_title, in_body = doc.matches[node]
        return (leaf.title and in_title) or (leaf.body and in_body)
    # One word: it matches where it occurs.
    return any(
        (leaf.title and doc.tf.get(lexeme, (0, 0))[0])
        or (leaf.body and doc.tf.get(lexeme, (0, 0))[1])
        for lexeme in leaf.lexemes
    )
