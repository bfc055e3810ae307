"""Array scoring (app.search.whoosh.scoring) must match exactly Whoosh's matches, and score
them as a plain reference implementation of `Ranking`'s formula does (one document at a time,
from the stored postings and field lengths): over several segments, with deletions, for words,
phrases, prefixes, ANDs, ORs, NOTs and fields."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import query as wq

from app.archive import Archive
from app.search.base import Ranking
from app.search.query import QuerySyntaxError, parse_query
from app.search.whoosh.postings import PostingCache
from app.search.whoosh.scoring import WordClauses, score_matches, supported
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


def _tf(s: Any, field: str, text: str) -> dict[int, float]:
    """Global document number -> stored weight of `text` in `field` (deletions left out)."""
    out = {}
    if (field, text) in s.reader():
        m = s.reader().postings(field, text)
        while m.is_active():
            out[m.id()] = m.weight()
            m.next()
    return out


def reference_scores(s: Any, wquery: Any, docs: set[int], r: Ranking) -> dict[int, float]:
    """`Ranking`'s formula written out plainly, document by document: the oracle."""
    reader, total = s.reader(), s.doc_count_all()
    tfs: dict[tuple[str, str], dict[int, float]] = {}
    phrases: dict[Any, set[int]] = {}

    def tf_of(field: str, text: str) -> dict[int, float]:
        if (field, text) not in tfs:
            tfs[field, text] = _tf(s, field, text)
        return tfs[field, text]

    def part(field: str, docnum: int) -> float:
        b = r.b_title if field.startswith("title") else r.b_body
        avg = s.avg_field_length(field) or 1
        return (1 - b) + b * reader.doc_field_length(docnum, field, 1) / avg

    def bm25(field: str, text: str, docnum: int) -> float | None:
        tf = tf_of(field, text).get(docnum)
        if tf is None:
            return None
        idf = r.idf(total, s.doc_frequency(field, text))
        return idf * tf * (r.k1 + 1) / (tf + r.k1 * part(field, docnum))

    def score(node: Any, d: int) -> float | None:
        if isinstance(node, WordClauses):
            found = [(t, tf_of(t.fieldname, t.text).get(d)) for t in node.subqueries]
            if all(tf is None for _, tf in found):
                return None
            pseudo = sum(t.boost * tf / part(t.fieldname, d) for t, tf in found if tf)
            idf = r.idf(total, max(s.doc_frequency(t.fieldname, t.text) for t in node.subqueries))
            return idf * r.saturate(pseudo)
        if isinstance(node, wq.Term):
            found = bm25(node.fieldname, node.text, d)
            return None if found is None else found * node.boost
        if isinstance(node, wq.Prefix):
            words = [w for w in reader.expand_prefix(node.fieldname, node.text) if w]
            return score(wq.Or([wq.Term(node.fieldname, w, boost=node.boost) for w in words]), d)
        if isinstance(node, wq.Phrase):
            if id(node) not in phrases:
                phrases[id(node)] = {h.docnum for h in s.search(node, limit=None)}
            if d not in phrases[id(node)]:
                return None
            return node.boost * sum(bm25(node.fieldname, w, d) or 0.0 for w in node.words)
        if isinstance(node, wq.Or):
            found = [x for x in (score(c, d) for c in node.subqueries) if x is not None]
            return sum(found) if found else None
        positive = [score(c, d) for c in node.subqueries if not isinstance(c, wq.Not)]
        negative = [score(c.query, d) for c in node.subqueries if isinstance(c, wq.Not)]
        if any(x is None for x in positive) or any(x is not None for x in negative):
            return None
        return sum(x for x in positive if x is not None) + len(negative)

    out = {}
    for d in docs:
        found = score(wquery, d)
        assert found is not None, d
        out[d] = found
    return out


def test_scores_follow_the_reference(filled: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    # On indexes of up to 5,000 documents Whoosh ORs a prefix's words with an unscored array;
    # a scored OR is what larger indexes get. Only Whoosh's match set is compared here.
    monkeypatch.setattr(wq.Or, "matcher_type", wq.Or.DEFAULT_MATCHER)
    backend = filled.search
    ranking = backend.ranking  # type: ignore[attr-defined]
    checked = 0
    cache = PostingCache(min_postings=0)  # keep every list, short ones too
    with backend._searcher() as s:  # type: ignore[attr-defined]
        values = backend._values.for_searcher(s)  # type: ignore[attr-defined]
        assert len(s.reader().leaf_readers()) > 1
        for q in _queries(random.Random(11), 160):
            wquery = backend._translate(parse_query(q))  # type: ignore[attr-defined]
            assert supported(wquery), q
            matches = {hit.docnum for hit in s.search(wquery, limit=None)}
            reference = reference_scores(s, wquery, matches, ranking)
            # Twice through one cache: decoded postings served again must score the same.
            for _ in range(2):
                scored = score_matches(s, wquery, values.field_norms, ranking, cache)
                assert scored is not None
                ours = scored.as_dict()
                assert ours.keys() == matches, q
                for docnum, score in reference.items():
                    assert ours[docnum] == pytest.approx(score, rel=1e-9), q
            checked += bool(matches)
    assert checked > 120


def test_a_word_saturates_once_across_its_fields(archive: Archive) -> None:
    # BM25F: a word in the title and the body of one article is one saturated frequency, not
    # four BM25 scores (stem and exact form, body and title) added up, so it can weigh no more
    # than idf * (k1 + 1), however many fields and forms match.
    add(
        archive,
        make_item("Tariffs tariffs tariffs on wheat.", title="Tariffs tariffs"),
        *[make_item(f"Corn prices rose {n}.", title=f"Corn {n}") for n in range(5)],
    )
    page = search_articles(archive, params=SearchParams(q="tariffs"))
    ranking = archive.search.ranking  # type: ignore[attr-defined]
    ceiling = ranking.idf(6, 1) * (ranking.k1 + 1)
    assert 0.8 * ceiling < page.items[0].score <= ceiling


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
def test_any_query_scores_like_the_reference(filled: Archive, tokens: list[str]) -> None:
    # Random strings of the query language (nesting, NOTs, phrases, fields, prefixes): whatever
    # parses and we score must match Whoosh's match set and the reference's scores.
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
            ranking = backend.ranking  # type: ignore[attr-defined]
            scored = score_matches(s, wquery, values.field_norms, ranking)
            matches = {hit.docnum for hit in s.search(wquery, limit=None)}
            assert scored is not None
            ours = scored.as_dict()
            assert ours.keys() == matches
            reference = reference_scores(s, wquery, matches, ranking)
    for docnum, score in reference.items():
        assert ours[docnum] == pytest.approx(score, rel=1e-9)
