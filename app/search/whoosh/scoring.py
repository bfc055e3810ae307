"""Whole-match-set scoring for the Whoosh backend, over NumPy arrays.

Why: a results page needs every match (the exact total, the facets, the timeline) as well as the
top k by score. Whoosh finds both by walking a tree of matchers one document at a time, several
Python calls per posting; a common two-word AND at 100k articles visits tens of thousands of
postings per field. Here each term's postings are decoded into arrays (app/search/whoosh/
postings.py, cached per segment), BM25 is computed over whole arrays, OR adds into a dense
per-segment accumulator, AND and NOT are sorted-array intersections and differences, and a
phrase intersects (document, position) keys of its words.

The formula is `Ranking`'s (app.search.base): a query word (`WordClauses`, its stemmed and
exact forms in body and title) is scored by BM25F, its field frequencies weighted and
length-normalised, summed and saturated once (`bm25f`). A lone term (`source:`, `author:`,
prefix expansions) and each word of a phrase are BM25 on their own field (`bm25`). Documents
satisfying a NOT inside an AND get +1, as in Whoosh's matcher. tests/search/test_whoosh_scoring.py
compares the scores with a plain reference implementation over the stored postings, and the
match sets with Whoosh's collector, on random queries. Prefixes are expanded per segment as
Whoosh does. Queries that match everything (a lone NOT) are left to Whoosh: `score_matches`
answers None for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from app.search.base import Ranking
from app.search.whoosh.postings import FloatArray, IntArray, PostingCache, positions

# What one NOT inside an AND adds to a document's score in Whoosh (InverseMatcher's weight).
_NOT_SCORE = 1.0

# (segment reader, segment index, field, (1.0, b, average length)) -> per document
# (1 - b) + b * length / average length, the length part of BM25's denominator.
Norms = Callable[[Any, int, str, tuple[float, float, float]], FloatArray]
# (searcher, field) -> the field's average length over the documents that can have it (a
# language's own fields: that language's articles); None: Whoosh's, over every document.
Averages = Callable[[Any, str], float | None]


@dataclass(frozen=True)
class Scored:
    """Matching documents (ascending document numbers) and their scores."""

    docs: IntArray
    scores: FloatArray

    def __len__(self) -> int:
        return len(self.docs)

    def as_dict(self) -> dict[int, float]:
        return dict(zip(self.docs.tolist(), self.scores.tolist(), strict=True))


_NONE = Scored(np.zeros(0, np.int64), np.zeros(0, np.float64))


class WordClauses(wq.Or):
    """One query word: its Terms (field, form, weight as the Term's boost) scored together by
    BM25F, one saturation for the word. To Whoosh's own collector (the top-k path of related
    articles) it is a plain Or of boosted terms."""

    def __init__(self, subqueries: list[wq.Term]) -> None:
        super().__init__(subqueries)

    @property
    def clauses(self) -> list[wq.Term]:
        return cast(list[wq.Term], self.subqueries)


def bm25f(fields: list[tuple[float, FloatArray, FloatArray]], idf: float, k1: float) -> FloatArray:
    """One query word's BM25F score (`Ranking`): for each field, (weight, frequencies, length
    parts (1 - b) + b * length / average length), aligned on the same documents (frequency 0
    where the field lacks the word); weighted, length-normalised frequencies summed into one
    pseudo-frequency, then saturated once and times idf."""
    tf = np.zeros(len(fields[0][1]), np.float64)
    for weight, tfs, parts in fields:
        tf += weight * tfs / parts
    return idf * (tf * (k1 + 1)) / (tf + k1)


def bm25(tf: FloatArray, parts: FloatArray, idf: float, k1: float) -> FloatArray:
    """One term's BM25 score in one field (lone terms and the words of a phrase):
    idf * tf (k1 + 1) / (tf + k1 * ((1 - b) + b * length / average length))."""
    return idf * ((tf * (k1 + 1)) / (tf + k1 * parts))


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


def score_matches(
    searcher: Searcher,
    wquery: Any,
    norms: Norms,
    ranking: Ranking,
    cache: PostingCache | None = None,
    averages: Averages | None = None,
) -> Scored | None:
    """Every document matching `wquery` with its score, by global document number; None when
    the query is not `supported`. `norms` gives a segment's length parts (see Norms); `cache`
    keeps decoded postings between searches."""
    if not supported(wquery):
        return None
    cache = cache or PostingCache(max_bytes=0)
    docs: list[IntArray] = []
    scores: list[FloatArray] = []
    for index, (reader, offset) in enumerate(searcher.reader().leaf_readers()):
        if reader.segment() is None:  # the reader of an empty index
            continue
        segment = _Segment(searcher, reader, index, norms, ranking, cache, averages)
        found = segment.score(wquery, None)
        docs.append(found.docs + offset)
        scores.append(found.scores)
    if not docs:
        return _NONE
    return Scored(np.concatenate(docs), np.concatenate(scores))


class _Segment:
    def __init__(
        self,
        searcher: Searcher,
        reader: Any,
        index: int,
        norms: Norms,
        ranking: Ranking,
        cache: PostingCache,
        averages: Averages | None = None,
    ) -> None:
        self.searcher = searcher
        self.averages = averages
        self.reader = reader
        self.index = index
        self.norms = norms
        self.ranking = ranking
        self.cache = cache
        self.size = reader.doc_count_all()
        self.key = reader.segment().segment_id()
        deleted = reader.deleted_docs_set if reader.has_deletions() else ()
        self.live: np.ndarray | None = None
        if deleted:
            self.live = np.ones(self.size, bool)
            self.live[np.fromiter(deleted, np.int64, len(deleted))] = False

    def score(self, node: Any, only: IntArray | None) -> Scored:
        """Scores of the segment's documents matching `node`; `only` (ascending document
        numbers), when given, lets a phrase skip reading positions elsewhere (the result may
        still hold other documents: the caller intersects)."""
        if isinstance(node, WordClauses):
            return self.word(node)
        if isinstance(node, wq.Term):
            return self.term(node)
        if isinstance(node, wq.Phrase):
            return self.phrase(node, only)
        if isinstance(node, wq.Prefix):
            # Whoosh ORs the segment's words with this beginning, each scored by BM25 with the
            # prefix's boost (its `constantscore` leaves the searcher's weighting in place).
            words = [w for w in self.reader.expand_prefix(node.fieldname, node.text) if w]
            terms = [wq.Term(node.fieldname, w, boost=node.boost) for w in words]
            return self.score(wq.Or(terms), only) if terms else _NONE
        if isinstance(node, wq.Or):
            return self.union([self.score(c, only) for c in node.subqueries])
        # AND: the rarest part first; the others narrowed to where it matched.
        positive = sorted(
            (c for c in node.subqueries if not isinstance(c, wq.Not)), key=self.estimate
        )
        found = self.score(positive[0], only)
        for child in positive[1:]:
            if not len(found):
                return _NONE
            found = _intersect(found, self.score(child, found.docs))
        negative = [c.query for c in node.subqueries if isinstance(c, wq.Not)]
        for child in negative:
            if not len(found):
                return _NONE
            excluded = self.score(child, found.docs).docs
            found = _mask(found, ~np.isin(found.docs, excluded, assume_unique=True))
        if negative:
            found = Scored(found.docs, found.scores + _NOT_SCORE * len(negative))
        return found

    def union(self, parts: list[Scored]) -> Scored:
        parts = [p for p in parts if len(p)]
        if not parts:
            return _NONE
        if len(parts) == 1:
            return parts[0]
        # A dense accumulator as long as the segment: each part's documents are distinct, so
        # plain fancy-indexed adds are exact.
        total = np.zeros(self.size, np.float64)
        hit = np.zeros(self.size, bool)
        for part in parts:
            total[part.docs] += part.scores
            hit[part.docs] = True
        docs = np.flatnonzero(hit).astype(np.int64)
        return Scored(docs, total[docs])

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
        exact form is in). The stemmed fields of different languages ("body", "body_de") hold
        different articles: their counts add up."""
        parent = self.searcher.get_parent()
        counts: dict[str, int] = {}
        for field, text in terms:
            group = field if field.endswith("_exact") else field.partition("_")[0]
            counts[group] = counts.get(group, 0) + parent.doc_frequency(field, text)
        return self.ranking.idf(parent.doc_count_all(), max(counts.values()))

    def length_parts(self, field: str) -> FloatArray:
        """(1 - b) + b * length / average length of `field`, per document of the segment."""
        ranking = self.ranking
        b = ranking.b_title if field.startswith("title") else ranking.b_body
        own = self.averages(self.searcher, field) if self.averages else None
        avgfl = own or self.searcher.avg_field_length(field) or 1
        return self.norms(self.reader, self.index, field, (1.0, b, avgfl))

    def _live(self, ids: IntArray) -> IntArray | None:
        """Positions in `ids` of documents not deleted (None: all of them)."""
        if self.live is None:
            return None
        return np.flatnonzero(self.live[ids])

    def postings(self, field: str, text: str) -> tuple[IntArray, FloatArray]:
        """The live documents having `text` in `field` and its frequency in each."""
        found = self.cache.get(self.key, self.reader, field, text, False)
        ids, tfs = found.ids, found.tfs
        keep = self._live(ids)
        if keep is not None:
            ids, tfs = ids[keep], tfs[keep]
        return ids, tfs

    def word(self, node: WordClauses) -> Scored:
        # BM25F (Ranking): the word's fields combined and saturated once, by `bm25f`.
        found = [(c, *self.postings(c.fieldname, c.text)) for c in node.clauses]
        found = [(c, ids, tfs) for c, ids, tfs in found if len(ids)]
        if not found:
            return _NONE
        if len(found) == 1:
            docs = found[0][1]
        else:
            hit = np.zeros(self.size, bool)
            for _, ids, _ in found:
                hit[ids] = True
            docs = np.flatnonzero(hit)
        fields = []
        for clause, ids, tfs in found:
            aligned = tfs
            if len(ids) != len(docs):
                aligned = np.zeros(len(docs), np.float64)
                aligned[np.searchsorted(docs, ids)] = tfs
            fields.append((clause.boost, aligned, self.length_parts(clause.fieldname)[docs]))
        # The idf counts the word in every field it is searched in, present here or not.
        idf = self.idf([(c.fieldname, c.text) for c in node.clauses])
        return Scored(docs.astype(np.int64), bm25f(fields, idf, self.ranking.k1))

    def term(self, node: wq.Term) -> Scored:
        field, text = node.fieldname, node.text
        ids, tfs = self.postings(field, text)
        if not len(ids):
            return _NONE
        idf = self.idf([(field, text)])
        scores = bm25(tfs, self.length_parts(field)[ids], idf, self.ranking.k1)
        if node.boost != 1.0:
            scores = scores * node.boost
        return Scored(ids, scores)

    def phrase(self, node: wq.Phrase, only: IntArray | None) -> Scored:
        # Whoosh's Phrase is a SpanNear2 over its words' Term matchers: a document matches when
        # the words occur at consecutive positions, and scores the sum of the words' own BM25
        # scores (as an AND of them would), times the phrase's boost.
        field, words = node.fieldname, list(node.words)
        if any((field, w) not in self.reader for w in words):
            return _NONE
        lists = {w: self.cache.get(self.key, self.reader, field, w, True) for w in set(words)}
        docs = only
        for word in sorted(lists, key=lambda w: len(lists[w].ids)):
            ids = lists[word].ids
            docs = ids if docs is None else docs[np.isin(docs, ids, assume_unique=True)]
            if not len(docs):
                return _NONE
        assert docs is not None
        keep = self._live(docs)
        if keep is not None:
            docs = docs[keep]
        # Keys (candidate row << 32 | position) of each word; the first word's positions that
        # are followed by every other word, in order, are the phrase's starts.
        rows = {w: np.searchsorted(lists[w].ids, docs) for w in lists}
        keys: dict[str, IntArray] = {}
        for word, at in rows.items():
            row, pos = positions(lists[word], at)
            keys[word] = (row << 32) | pos
        starts = keys[words[0]]
        for offset, word in enumerate(words[1:], 1):
            starts = starts[np.isin(starts + offset, keys[word])]
            if not len(starts):
                return _NONE
        matched = np.unique(starts >> 32)
        docs = docs[matched]
        parts = []
        k1, parts_of = self.ranking.k1, self.length_parts(field)
        for word in words:
            tfs = lists[word].tfs[rows[word][matched]]
            parts.append(bm25(tfs, parts_of[docs], self.idf([(field, word)]), k1))
        scores = _tree_sum(parts)
        if node.boost != 1.0:
            scores = scores * node.boost
        return Scored(docs, scores)


def _intersect(a: Scored, b: Scored) -> Scored:
    """Documents in both, with the sum of their scores."""
    if not len(b):
        return _NONE
    at = np.searchsorted(b.docs, a.docs)
    at[at == len(b.docs)] = 0
    found = b.docs[at] == a.docs
    return Scored(a.docs[found], a.scores[found] + b.scores[at[found]])


def _mask(a: Scored, keep: np.ndarray) -> Scored:
    return Scored(a.docs[keep], a.scores[keep])


def _tree_sum(parts: list[FloatArray]) -> FloatArray:
    # In the order of Whoosh's make_binary_tree of IntersectionMatchers: a + (b + c).
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    return _tree_sum(parts[:half]) + _tree_sum(parts[half:])


def field_lengths(reader: Any, field: str) -> list[int]:
    """The stored length of `field` in every document of one segment, as Whoosh's scorer reads
    it (`doc_field_length(docnum, field, 1)`)."""
    return [reader.doc_field_length(d, field, 1) for d in range(reader.doc_count_all())]
