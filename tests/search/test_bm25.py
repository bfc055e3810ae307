"""app.search.bm25: the ranking formula the PostgreSQL backend scores with, as `Ranking` says."""

from __future__ import annotations

import pytest

from app.search import query as q
from app.search.base import DERIVED_TITLE_BOOST, RANKING
from app.search.bm25 import Collection, DocTerms, Leaf, score_tree, word_score

STATS = Collection(
    docs=100,
    title_average=5.0,
    body_average=50.0,
    df={("bank", "D"): 30, ("bank", "A"): 5, ("banks", "d"): 10, ("banks", "a"): 2},
)


def _doc(derived: bool = False) -> DocTerms:
    return DocTerms(
        title_len=4,
        body_len=80,
        title_derived=derived,
        tf={"bank": (1, 3)},
        exact_tf={"banks": (1, 2)},
    )


def _expected(title_tf: float, derived: bool = False) -> float:
    # BM25F by hand: weighted, length-normalised field frequencies summed, saturated once.
    r = RANKING
    body_part = (1 - r.b_body) + r.b_body * 80 / 50.0
    title_part = (1 - r.b_title) + r.b_title * 4 / 5.0
    boost = DERIVED_TITLE_BOOST if derived else 1.0
    tf = (3 + r.exact_weight * 2) / body_part
    tf += r.title_weight * boost * (title_tf + r.exact_weight * 1) / title_part
    idf = r.idf(100, 30)  # the commonest of the word's fields
    return idf * tf * (r.k1 + 1) / (tf + r.k1)


@pytest.mark.parametrize("derived", [False, True])
def test_one_word_is_bm25f_saturated_once(derived: bool) -> None:
    score = word_score(STATS, _doc(derived), "bank", "banks", title=True, body=True)
    assert score == pytest.approx(_expected(1, derived))


def test_the_idf_is_over_the_commonest_of_the_fields_searched() -> None:
    # Title only: the title fields' df (5 stemmed, 2 exact), not the body's 30.
    doc = _doc()
    score = word_score(STATS, doc, "bank", "banks", title=True, body=False)
    r = RANKING
    tf = r.title_weight * (1 + r.exact_weight * 1) / ((1 - r.b_title) + r.b_title * 4 / 5.0)
    assert score == pytest.approx(r.idf(100, 5) * r.saturate(tf))


def test_the_query_tree_scores_a_word_leaf_by_bm25f() -> None:
    node = q.Term("banks")
    leaf = Leaf(lexemes=("bank",), title=True, body=True, exact=("banks",))
    score = score_tree(node, {node: leaf}.get, STATS, _doc())
    assert score == pytest.approx(_expected(1))
