"""Whole-match-set scoring for the Whoosh backend, a term at a time.

Why: a results page needs every match (the exact total, the facets, the timeline) as well as the
top k by score. Whoosh finds both by walking a tree of matchers one document at a time, with
several Python method calls per posting at each level of the tree: a one-word query is four
posting lists (stemmed and exact, body and title), and over 3,000 of 20,000 articles that walk
took 25 ms. Reading each term's postings a block at a time and adding its BM25 contributions
into a dict does the same arithmetic with a fraction of the calls.

The formula is `Ranking`'s (app.search.base): a query word (`WordClauses`, its stemmed and
exact forms in body and title) is scored by BM25F, its field frequencies weighted and
length-normalised, summed and saturated once (`_Segment.word`). A lone term (`source:`,
`author:`, prefix expansions) and each word of a phrase are BM25 on their own field. Documents
satisfying a NOT inside an AND get +1, as in Whoosh's matcher. tests/test_whoosh_scoring.py
compares the scores with a plain reference implementation over the stored postings, and the
match sets with Whoosh's collector, on random queries. Phrases are matched from the stored
positions, prefixes expanded per segment as Whoosh does. Queries that match everything (a lone
NOT) are left to Whoosh: `score_matches` answers None for them.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from itertools import accumulate
from pickle import loads
from typing import Any, cast

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.searching import Searcher

from app.search.base import Ranking

# What one NOT inside an AND adds to a document's score in Whoosh (InverseMatcher's weight).
_NOT_SCORE = 1.0

Scores = dict[int, float]
# (segment reader, segment index, field, (1.0, b, average length)) -> per document
# (1 - b) + b * length / average length, the length part of BM25's denominator.
Norms = Callable[[Any, int, str, tuple[float, float, float]], list[float]]


class WordClauses(wq.Or):
    """One query word: its Terms (field, form, weight as the Term's boost) scored together by
    BM25F, one saturation for the word. To Whoosh's own collector (the top-k path of related
    articles) it is a plain Or of boosted terms."""

    def __init__(self, subqueries: list[wq.Term]) -> None:
        super().__init__(subqueries)

    @property
    def clauses(self) -> list[wq.Term]:
        return cast(list[wq.Term], self.subqueries)


def supported(wquery: Any) -> bool:
    """Whether `score_matches` can score this query (terms combined by AND, OR and NOT)."""
    if isinstance(wquery, WordClauses):
        return type(wquery) is WordClauses and all(type(c) is wq.Term for c in wquery.subqueries)
    if isinstance(wquery, wq.Term):
        return True
    if isinstance(wquery, wq.Phrase):
        return type(wquery) is wq.Phrase and wquery.slop == 1 and len(wquery.words) > 1
    if isinstance(wquery, wq.Prefix):
        return type(wquery) is wq.Prefix and bool(wquery.text)
    if isinstance(wquery, wq.Or):
        return (
            type(wquery) is wq.Or
            and wquery.boost == 1.0
            and not wquery.scale
            and not wquery.minmatch
            and all(supported(c) for c in wquery.subqueries)
        )
    if isinstance(wquery, wq.And):
        positive = [c for c in wquery.subqueries if not isinstance(c, wq.Not)]
        negative = [c.query for c in wquery.subqueries if isinstance(c, wq.Not)]
        return (
            type(wquery) is wq.And
            and wquery.boost == 1.0
            and bool(positive)
            and all(supported(c) for c in positive + negative)
        )
    return False


def score_matches(searcher: Searcher, wquery: Any, norms: Norms, ranking: Ranking) -> Scores | None:
    """Every document matching `wquery` with its score, by global document number; None when
    the query is not `supported`. `norms` gives a segment's length parts (see Norms)."""
    if not supported(wquery):
        return None
    out: Scores = {}
    for index, (reader, offset) in enumerate(searcher.reader().leaf_readers()):
        segment = _Segment(searcher, reader, index, norms, ranking)
        scores = segment.score(wquery)
        if offset:
            out.update(zip([d + offset for d in scores], scores.values(), strict=True))
        else:
            out.update(scores)
    return out


class _Segment:
    def __init__(
        self, searcher: Searcher, reader: Any, index: int, norms: Norms, ranking: Ranking
    ) -> None:
        self.searcher = searcher
        self.reader = reader
        self.index = index
        self.norms = norms
        self.ranking = ranking

    def score(self, node: Any, only: set[int] | None = None) -> Scores:
        """Scores of the segment's documents matching `node` (only those in `only`, if given)."""
        if isinstance(node, WordClauses):
            return self.word(node, only)
        if isinstance(node, wq.Term):
            return self.term(node, only)
        if isinstance(node, wq.Phrase):
            return self.phrase(node, only)
        if isinstance(node, wq.Prefix):
            # Whoosh ORs the segment's words with this beginning, each scored by BM25 with the
            # prefix's boost (its `constantscore` leaves the searcher's weighting in place).
            words = [w for w in self.reader.expand_prefix(node.fieldname, node.text) if w]
            terms = [wq.Term(node.fieldname, w, boost=node.boost) for w in words]
            return self.score(wq.Or(terms), only) if terms else {}
        if isinstance(node, wq.Or):
            parts = sorted((self.score(c, only) for c in node.subqueries), key=len, reverse=True)
            total = dict(parts[0])
            for part in parts[1:]:
                for docnum, score in part.items():
                    total[docnum] = total.get(docnum, 0.0) + score
            return total
        # AND: the rarest part first; the others are only scored where it matched.
        positive = sorted(
            (c for c in node.subqueries if not isinstance(c, wq.Not)), key=self.estimate
        )
        scored = [self.score(positive[0], only)]
        docs = set(scored[0])
        for child in positive[1:]:
            if not docs:
                return {}
            part = self.score(child, docs)
            docs.intersection_update(part)
            scored.append(part)
        negative = [c.query for c in node.subqueries if isinstance(c, wq.Not)]
        for child in negative:
            docs.difference_update(self.score(child, docs))
        bonus = _NOT_SCORE * len(negative)
        return {d: sum(part[d] for part in scored) + bonus for d in docs}

    def estimate(self, node: Any) -> int:
        """An upper bound of the matches, from document frequencies (no postings read)."""
        if isinstance(node, wq.Term):
            return int(self.reader.doc_frequency(node.fieldname, node.text))
        if isinstance(node, wq.Phrase):
            return min(int(self.reader.doc_frequency(node.fieldname, w)) for w in node.words)
        if isinstance(node, wq.Prefix):
            return self.reader.doc_count()  # expanding it would cost as much as reading it
        sizes = [self.estimate(c) for c in node.subqueries if not isinstance(c, wq.Not)]
        return sum(sizes) if isinstance(node, wq.Or) else min(sizes)

    def idf(self, terms: list[tuple[str, str]]) -> float:
        """`Ranking.idf` of a word over the whole index, counting the articles that have it as
        the commonest of its (field, form) `terms` (a stemmed field holds every article the
        exact form is in)."""
        parent = self.searcher.get_parent()
        n = max(parent.doc_frequency(field, text) for field, text in terms)
        return self.ranking.idf(parent.doc_count_all(), n)

    def length_parts(self, field: str) -> list[float]:
        """(1 - b) + b * length / average length of `field`, per document of the segment."""
        ranking = self.ranking
        b = ranking.b_title if field.startswith("title") else ranking.b_body
        avgfl = self.searcher.avg_field_length(field) or 1
        return self.norms(self.reader, self.index, field, (1.0, b, avgfl))

    def _bm25(self, field: str, text: str) -> Callable[[int, float], float]:
        idf, k1 = self.idf([(field, text)]), self.ranking.k1
        k1p1, parts = k1 + 1, self.length_parts(field)

        def score(docnum: int, tf: float) -> float:
            return idf * ((tf * k1p1) / (tf + k1 * parts[docnum]))

        return score

    def word(self, node: WordClauses, only: set[int] | None) -> Scores:
        # BM25F (Ranking): weighted, length-normalised frequencies summed over the word's
        # fields, then saturated once. Summing per-field BM25 scores instead let one word count
        # up to four times (stem and exact form, body and title).
        clauses = [c for c in node.clauses if (c.fieldname, c.text) in self.reader]
        if not clauses:
            return {}
        tfs: Scores = {}
        for clause in clauses:
            weight, parts = clause.boost, self.length_parts(clause.fieldname)
            for ids, weights, _ in _postings(self.reader.postings(clause.fieldname, clause.text)):
                for docnum, tf in zip(ids, weights, strict=True):
                    if only is None or docnum in only:
                        tfs[docnum] = tfs.get(docnum, 0.0) + weight * tf / parts[docnum]
        # The idf counts the word in every field it is searched in, present here or not.
        idf = self.idf([(c.fieldname, c.text) for c in node.clauses])
        k1 = self.ranking.k1
        k1p1 = k1 + 1
        return {d: idf * (t * k1p1) / (t + k1) for d, t in tfs.items()}

    def term(self, node: wq.Term, only: set[int] | None) -> Scores:
        field, text = node.fieldname, node.text
        if (field, text) not in self.reader:
            return {}
        idf, k1 = self.idf([(field, text)]), self.ranking.k1
        k1p1, parts = k1 + 1, self.length_parts(field)
        out: Scores = {}
        for ids, weights, _ in _postings(self.reader.postings(field, text)):
            # The formula inline: a function call per posting cost a tenth of a search.
            if only is None:
                for docnum, tf in zip(ids, weights, strict=True):
                    out[docnum] = idf * ((tf * k1p1) / (tf + k1 * parts[docnum]))
            else:
                for docnum, tf in zip(ids, weights, strict=True):
                    if docnum in only:
                        out[docnum] = idf * ((tf * k1p1) / (tf + k1 * parts[docnum]))
        if node.boost != 1.0:
            boost = node.boost
            out = {d: s * boost for d, s in out.items()}
        return out

    def phrase(self, node: wq.Phrase, only: set[int] | None) -> Scores:
        # Whoosh's Phrase is a SpanNear2 over its words' Term matchers: a document matches when
        # the words occur at consecutive positions, and scores the sum of the words' own BM25
        # scores (as an AND of them would), times the phrase's boost.
        field, words = node.fieldname, list(node.words)
        if any((field, w) not in self.reader for w in words):
            return {}
        postings: dict[str, dict[int, tuple[float, bytes]]] = {}
        for word in sorted(set(words), key=lambda w: self.reader.doc_frequency(field, w)):
            found: dict[int, tuple[float, bytes]] = {}
            for ids, weights, values in _postings(self.reader.postings(field, word), True):
                for docnum, tf, value in zip(ids, weights, values, strict=True):
                    if only is None or docnum in only:
                        found[docnum] = (tf, value)
            postings[word] = found
            only = set(found)
            if not only:
                return {}
        scorers = {w: self._bm25(field, w) for w in postings}
        out: Scores = {}
        first, middle, last = (
            postings[words[0]],
            [postings[w] for w in words[1:-1]],
            postings[words[-1]],
        )
        after = (1).__add__
        for docnum in only or ():
            # Positions where the next word must stand; set and map loops run in C.
            want = set(map(after, _positions(first[docnum][1])))
            for found in middle:
                want = set(map(after, want.intersection(_positions(found[docnum][1]))))
                if not want:
                    break
            else:
                if not want.isdisjoint(_positions(last[docnum][1])):
                    parts = [scorers[w](docnum, postings[w][docnum][0]) for w in words]
                    out[docnum] = _tree_sum(parts)
        if node.boost != 1.0:
            boost = node.boost
            out = {d: s * boost for d, s in out.items()}
        return out


def _tree_sum(parts: list[float]) -> float:
    # In the order of Whoosh's make_binary_tree of IntersectionMatchers: a + (b + c).
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    return _tree_sum(parts[:half]) + _tree_sum(parts[half:])


def _positions(value: bytes) -> Iterator[int]:
    # whoosh.formats.Positions.decode_positions: a count, then pickled position deltas (their
    # final "." is stripped when stored).
    return accumulate(loads(value[4:] if value[-1:] == b"." else value[4:] + b"."))


def _postings(matcher: Any, values: bool = False) -> Iterator[tuple[Any, Any, Any]]:
    """(ids, weights, values or None) block by block, without deleted documents."""
    deleted: frozenset[int] = frozenset()
    if isinstance(matcher, FilterMatcher):  # what the reader wraps around it to skip deletions
        if not matcher._exclude:
            raise TypeError("unexpected inclusive filter on postings")
        deleted = frozenset(matcher._ids)
        matcher = matcher.child
    # Short posting lists are stored inline and read by a plain list matcher.
    inline = not isinstance(matcher, W3LeafMatcher)
    blocks = iter([_all(matcher, values)]) if inline else _blocks(matcher, values)
    for ids, weights, vals in blocks:
        if deleted:
            kept = [i for i, d in enumerate(ids) if d not in deleted]
            yield (
                [ids[i] for i in kept],
                [weights[i] for i in kept],
                None if vals is None else [vals[i] for i in kept],
            )
        else:
            yield ids, weights, vals


def _blocks(matcher: W3LeafMatcher, values: bool) -> Iterator[tuple[Any, Any, Any]]:
    # What W3LeafMatcher._read_ids/_read_weights/_read_values decode, with the ids' running
    # sum done by itertools.accumulate (C) instead of Whoosh's delta_decode generator.
    matcher.reset()
    while matcher.is_active():
        matcher._read_data()
        data: Any = matcher._data
        ids = data[0] if matcher._byteids else list(accumulate(data[0]))
        weights = data[1]
        if weights is None:
            weights = [1.0] * len(ids)
        elif isinstance(weights, float):
            weights = array("f", [weights]) * len(ids)  # float32, as Whoosh stores it
        vals = None
        if values:
            matcher._read_values()
            vals = matcher._values
        yield ids, weights, vals
        matcher._next_block()


def _all(matcher: Any, values: bool) -> tuple[list[int], list[float], list[Any] | None]:
    ids, weights, vals = [], [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        if values:
            vals.append(matcher.value())
        matcher.next()
    return ids, weights, vals if values else None


def field_lengths(reader: Any, field: str) -> list[int]:
    """The stored length of `field` in every document of one segment, as Whoosh's scorer reads
    it (`doc_field_length(docnum, field, 1)`)."""
    return [reader.doc_field_length(d, field, 1) for d in range(reader.doc_count_all())]
