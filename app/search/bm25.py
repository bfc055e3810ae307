"""The Whoosh backend's ranking formula, for backends that score matches themselves.

`Ranking` (app.search.base) holds the constants; this module applies them as the Whoosh backend
does (app/search/whoosh/scoring.py). One query word is BM25F: its frequencies in four fields
(title and body, stemmed and exact form), each divided by its field's length part
(1 - b) + b * length / average length and weighted (body 1, title `title_weight`, exact forms
`exact_weight` more), summed into one pseudo-frequency, saturated once, times the idf over the
articles having it, the commonest of its fields' document frequencies. Each word of a phrase
(and of a prefix's expansions) is BM25 on its own stemmed field, the title's times
`title_weight`. A derived title's frequencies count DERIVED_TITLE_BOOST. An AND adds 1 for each
NOT it satisfies. `score_tree` is that formula, in one place.

Fields are named as PostgreSQL's statistics name them: "A" title and "D" body (stemmed),
"a" and "d" their exact forms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from app.search import query as q
from app.search.base import DERIVED_TITLE_BOOST, RANKING, Ranking

# What one NOT inside an AND adds to a document's score (as Whoosh's InverseMatcher does).
NOT_SCORE = 1.0


def length_part(length: float, average: float, b: float) -> float:
    """BM25's length normalisation of one field: (1 - b) + b * length / average length."""
    return (1 - b) + b * length / (average or 1.0)


def bm25(tf: float, part: float, idf: float, ranking: Ranking = RANKING) -> float:
    """One field's BM25 for a word found `tf` times in a field with length part `part`."""
    if tf <= 0:
        return 0.0
    return idf * ((tf * (ranking.k1 + 1)) / (tf + ranking.k1 * part))


@dataclass(frozen=True)
class Collection:
    """What idf and length normalisation need: article count, average field lengths, and the
    number of articles with each lexeme per field ((lexeme, field) -> count)."""

    docs: int
    title_average: float
    body_average: float
    df: dict[tuple[str, str], int] = field(default_factory=dict)
    ranking: Ranking = RANKING

    def idf(self, lexeme: str, field: str) -> float:
        """The idf of a lexeme in one field."""
        return self.word_idf([(lexeme, field)])

    def word_idf(self, keys: list[tuple[str, str]]) -> float:
        """The idf of a word searched in several (lexeme, field)s: over the commonest of them,
        as the Whoosh backend counts it (a stemmed field holds every article its exact form is
        in, so this is nearly the articles having the word anywhere)."""
        n = max((self.df.get(key, 0) for key in keys), default=0)
        return self.ranking.idf(max(self.docs, 1), n)

    def parts(self, doc: DocTerms) -> tuple[float, float]:
        """`doc`'s length parts, (title, body)."""
        ranking = self.ranking
        return (
            length_part(doc.title_len, self.title_average, ranking.b_title),
            length_part(doc.body_len, self.body_average, ranking.b_body),
        )


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
    # The leaf's analyses when its languages analyse it differently (German and English
    # stems of one word): it matches where any does and scores as the best of them.
    alternatives: tuple[Leaf, ...] = ()


def title_tf(doc: DocTerms, tf: int) -> float:
    """A title frequency as ranking counts it: a derived title's words count a tenth."""
    return tf * (DERIVED_TITLE_BOOST if doc.title_derived else 1.0)


def word_score(
    stats: Collection, doc: DocTerms, stem: str, exact: str, *, title: bool, body: bool
) -> float:
    """One query word's BM25F in `doc`: its stemmed and exact forms' frequencies in the fields
    searched, weighted and length-normalised per field, summed, saturated once, times idf."""
    ranking = stats.ranking
    title_part, body_part = stats.parts(doc)
    stem_title, stem_body = doc.tf.get(stem, (0, 0))
    exact_title, exact_body = doc.exact_tf.get(exact, (0, 0))
    tf = 0.0
    keys: list[tuple[str, str]] = []
    if body:
        tf += (stem_body + ranking.exact_weight * exact_body) / body_part
        keys += [(stem, "D"), (exact, "d")]
    if title:
        found = title_tf(doc, stem_title) + ranking.exact_weight * title_tf(doc, exact_title)
        tf += ranking.title_weight * found / title_part
        keys += [(stem, "A"), (exact, "a")]
    if tf <= 0:
        return 0.0
    return stats.word_idf(keys) * ranking.saturate(tf)


def field_score(stats: Collection, doc: DocTerms, lexeme: str, *, title: bool, body: bool) -> float:
    """One lexeme of a phrase or prefix: BM25 in each stemmed field searched, summed (the
    title's times `title_weight`)."""
    title_part, body_part = stats.parts(doc)
    in_title, in_body = doc.tf.get(lexeme, (0, 0))
    score = 0.0
    if body and in_body:
        score += bm25(in_body, body_part, stats.idf(lexeme, "D"), stats.ranking)
    if title and in_title:
        idf = stats.idf(lexeme, "A")
        score += stats.ranking.title_weight * bm25(
            title_tf(doc, in_title), title_part, idf, stats.ranking
        )
    return score


def leaf_score(stats: Collection, doc: DocTerms, node: q.Node, leaf: Leaf) -> float:
    """A leaf's score: one word by BM25F; a phrase's (or prefix's) lexemes by BM25 in each field
    where the leaf matches."""
    title, body = leaf.title, leaf.body
    if node in doc.matches:
        in_title, in_body = doc.matches[node]
        title, body = title and in_title, body and in_body
    if leaf.exact and len(leaf.lexemes) == 1:
        return word_score(stats, doc, leaf.lexemes[0], leaf.exact[0], title=title, body=body)
    return sum(field_score(stats, doc, lexeme, title=title, body=body) for lexeme in leaf.lexemes)


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
    if leaf.alternatives:
        found = [alt for alt in leaf.alternatives if _matches(doc, node, alt)]
        if not found:
            return False, 0.0
        return True, max(leaf_score(stats, doc, node, alt) for alt in found)
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
