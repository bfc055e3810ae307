"""Term-at-a-time scoring (app.search.whoosh.scoring) must give Whoosh's own scores to exactly
Whoosh's matches: over several segments, with deletions, for words, phrases, prefixes, ANDs,
ORs, NOTs and fields."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import query as wq

from app.archive import Archive
from app.search.query import QuerySyntaxError, parse_query
from app.search.whoosh.scoring import score_matches, supported
from app.services.articles import delete_article
from app.services.searching import SearchParams, search_articles
from tests.factories import add, make_item

WORDS = (
    "election elections elected vote voters ballot court ruling judge minister ministers talks "
    "treaty trade tariffs wheat corn oil prices market markets bank banks rate rates war peace"
).split()
FILLER = "the a of to in and said on for with was".split()


def _text(rng: random.Random, n: int) -> str:
    words = (rng.choice(WORDS) if rng.random() < 0.3 else rng.choice(FILLER) for _ in range(n))
    return " ".join(words)


@pytest.fixture
def filled(archive: Archive) -> Archive:
    rng = random.Random(5)
    made = []
    for batch in range(4):  # four commits: four segments
        made += add(
            archive,
            *(
                make_item(
                    _text(rng, rng.randint(5, 300)),
                    title=_text(rng, rng.randint(2, 9)).capitalize(),
                    date=f"20{10 + batch}-0{1 + i % 9}-1{i % 10}",
                )
                for i in range(40)
            ),
        )
    for article in made[::7]:  # deletions inside segments
        delete_article(archive, article_id=article.id)
    return archive


def _queries(rng: random.Random, n: int) -> list[str]:
    shapes = [
        "{a}",
        "{a} {b}",
        "{a} OR {b}",
        "{a} -{b}",
        "({a} OR {b}) {c}",
        "{a} OR {b} OR {c} OR {d}",
        "title:{a}",
        "body:{a} -title:{b}",
        "{a} -{b} -{c}",
        '"{a} {b}"',
        '"the {a}"',
        '"{a} of {b}"',
        '"{a} {a}"',
        'title:"{a} {b}" OR {c}',
        '"{a} {b}" -{c}',
        "{p}*",
        "{p}* {b}",
        "{p}* OR {b} -{c}",
        "title:{p}*",
    ]
    prefixes = ["elect", "vot", "mar", "rat", "ba", "th", "minister", "pea"]
    return [
        rng.choice(shapes).format(p=rng.choice(prefixes), **{k: rng.choice(WORDS) for k in "abcd"})
        for _ in range(n)
    ]


def test_scores_equal_whooshs_own(filled: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    # On indexes of up to 5,000 documents Whoosh ORs a prefix's words with an unscored array
    # (every match scores 1); above that, as in any real archive, it sums their BM25 scores,
    # which is what we do at every size. Compare with the latter.
    monkeypatch.setattr(wq.Or, "matcher_type", wq.Or.DEFAULT_MATCHER)
    backend = filled.search
    checked = 0
    with backend._searcher() as s:  # type: ignore[attr-defined]
        values = backend._values.for_searcher(s)  # type: ignore[attr-defined]
        assert len(s.reader().leaf_readers()) > 1
        for q in _queries(random.Random(11), 160):
            wquery = backend._translate(parse_query(q))  # type: ignore[attr-defined]
            assert supported(wquery), q
            ours = score_matches(s, wquery, values.field_norms)
            theirs = {hit.docnum: hit.score for hit in s.search(wquery, limit=None)}
            assert ours is not None
            assert ours.keys() == theirs.keys(), q
            for docnum, score in theirs.items():
                assert ours[docnum] == pytest.approx(score, rel=1e-12), q
            checked += bool(theirs)
    assert checked > 120


def test_lone_nots_are_left_to_whoosh(filled: Archive) -> None:
    backend = filled.search
    for q in ("-oil", "-oil -war", "oil OR -war"):
        assert not supported(backend._translate(parse_query(q))), q  # type: ignore[attr-defined]


def test_pages_follow_the_whole_ranking(filled: Archive) -> None:
    # Same order as Whoosh's collector: score, then document number for equal scores.
    whole = search_articles(filled, params=SearchParams(q="oil OR war", page_size=200))
    assert whole.total > 40
    paged = []
    for page in range(1, 4):
        paged += search_articles(filled, params=SearchParams(q="oil OR war", page=page)).items
    assert [i.article.id for i in paged] == [i.article.id for i in whole.items[: len(paged)]]
    scores = [i.score for i in whole.items]
    assert scores == sorted(scores, reverse=True)


_TOKENS = st.sampled_from(
    [*WORDS[:12], "the", "of", "OR", "NOT", "-", '"', "(", ")", "title:", "body:", "elect*", "ra*"]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tokens=st.lists(_TOKENS, min_size=1, max_size=12))
def test_any_query_scores_like_whoosh(filled: Archive, tokens: list[str]) -> None:
    # Random strings of the query language (nesting, NOTs, phrases, fields, prefixes): whatever
    # parses and we score must match Whoosh (with its scored OR, as on a large index).
    backend = filled.search
    try:
        node = parse_query(" ".join(tokens).replace('" ', '"').replace(": ", ":"))
        wquery = backend._translate(node) if node is not None else None  # type: ignore[attr-defined]
    except QuerySyntaxError:
        return
    if wquery is None or not supported(wquery):
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(wq.Or, "matcher_type", wq.Or.DEFAULT_MATCHER)
        with backend._searcher() as s:  # type: ignore[attr-defined]
            values = backend._values.for_searcher(s)  # type: ignore[attr-defined]
            ours = score_matches(s, wquery, values.field_norms)
            theirs = {hit.docnum: hit.score for hit in s.search(wquery, limit=None)}
    assert ours is not None and ours.keys() == theirs.keys()
    for docnum, score in theirs.items():
        assert ours[docnum] == pytest.approx(score, rel=1e-12)
