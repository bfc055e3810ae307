"""BM25 as the Whoosh backend computes it, for backends that score matches themselves.

The Whoosh backend scores each query word in four fields (title and body, stemmed and exact
form) with Whoosh's BM25, `idf * tf * (k1 + 1) / (tf + k1 * ((1 - b) + b * length / average))`,
each field with its own document frequency and average length, a title field weighted
TITLE_BOOST, an exact field EXACT_BOOST, and a derived title's term frequencies times
DERIVED_TITLE_BOOST. Phrases sum their words' scores in the stemmed fields only; an AND adds 1
for each NOT it satisfies. `word_score` and `score_tree` are that formula, in one place.

A backend that keeps only stemmed text (PostgreSQL) scores an exact match as a stemmed one:
a single word's stemmed score counts (1 + EXACT_BOOST) times.
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
    number of articles with each lexeme in their title and in their body."""

    docs: int
    title_average: float
    body_average: float
    title_df: dict[str, int] = field(default_factory=dict)
    body_df: dict[str, int] = field(default_factory=dict)

    def idf(self, lexeme: str, *, title: bool) -> float:
        df = (self.title_df if title else self.body_df).get(lexeme, 0)
        return ranking_idf(max(self.docs, 1), df)


@dataclass
class DocTerms:
    """One candidate article: its field lengths and the query lexemes' frequencies in it."""

    title_len: int
    body_len: int
    title_derived: bool
    # lexeme -> (frequency in the title, frequency in the body)
    tf: dict[str, tuple[int, int]]
    # For leaves whose match the frequencies cannot tell (phrases, prefixes): leaf -> whether
    # it matches in (title, body).
    matches: dict[q.Node, tuple[bool, bool]] = field(default_factory=dict)


@dataclass(frozen=True)
class Leaf:
    """A text leaf of the query as the scorer sees it: its lexemes, and which fields count."""

    lexemes: tuple[str, ...]
    title: bool
    body: bool
    # One word, not a phrase: scored in the exact-form fields too (see the module docstring).
    single: bool


def word_score(
    stats: Collection, doc: DocTerms, lexeme: str, *, title: bool, body: bool, weight: float
) -> float:
    """One lexeme's BM25 in the title and body of `doc`, times `weight`."""
    title_tf, body_tf = doc.tf.get(lexeme, (0, 0))
    score = 0.0
    if body and body_tf:
        score += bm25(body_tf, doc.body_len, stats.body_average, stats.idf(lexeme, title=False))
    if title and title_tf:
        tf = title_tf * (DERIVED_TITLE_BOOST if doc.title_derived else 1.0)
        idf = stats.idf(lexeme, title=True)
        score += TITLE_BOOST * bm25(tf, doc.title_len, stats.title_average, idf)
    return weight * score


def leaf_score(stats: Collection, doc: DocTerms, node: q.Node, leaf: Leaf) -> float:
    """A leaf's score: each field where it matches adds its lexemes' BM25."""
    title, body = leaf.title, leaf.body
    if node in doc.matches:
        in_title, in_body = doc.matches[node]
        title, body = title and in_title, body and in_body
    weight = 1.0 + EXACT_BOOST if leaf.single else 1.0
    return sum(
        word_score(stats, doc, lexeme, title=title, body=body, weight=weight)
        for lexeme in leaf.lexemes
    )


def score_tree(
    node: q.Node, leaf_of: Callable[[q.Node], Leaf | None], stats: Collection, doc: DocTerms
) -> float:
    """A matching document's score for the whole query: OR and AND add their children's scores
    (an OR's unmatched children add nothing), AND adds NOT_SCORE per NOT, NOT adds nothing."""
    if isinstance(node, q.Not):
        return 0.0
    if isinstance(node, q.And | q.Or):
        total = 0.0
        for child in node.children:
            if isinstance(child, q.Not) and isinstance(node, q.And):
                total += NOT_SCORE
            else:
                total += score_tree(child, leaf_of, stats, doc)
        return total
    leaf = leaf_of(node)
    return 0.0 if leaf is None else leaf_score(stats, doc, node, leaf)
