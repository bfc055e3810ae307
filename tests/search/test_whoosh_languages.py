"""Whoosh internals of analysis per language (app.search.whoosh.languages, wordquery): CJK
bigrams, which stemmer each language gets, the fast indexing path for the language fields, and
what an English-only index still builds and scores. Behaviour seen through searches is in
tests/search/test_language_analysis.py."""

from __future__ import annotations

import builtins
import datetime as dt
import pickle
from pathlib import Path
from typing import Any

import pytest
import Stemmer
from whoosh.lang import stemmer_for_language

from app.search.base import RANKING, IndexDoc, SearchFilters, SearchRequest
from app.search.query import parse_query
from app.search.whoosh import fastindex, languages
from app.search.whoosh.backend import WhooshBackend, make_schema
from app.search.whoosh.languages import (
    CJK,
    FAMILIES,
    SnowballStem,
    bigrams,
    cjk_analyzer,
    family,
    language_analyzer,
)
from app.search.whoosh.wordquery import Forms, words_query
from tests.multilingual import fixtures

TEXTS = [
    "Die Regierungen der Bundesländer; Züge, Verspätungen und Häuser.",
    "L'État et l'opposition d'aujourd'hui : qu'il vienne, jusqu'à Paris.",
    "Dell'economia e l'età pensionabile; U.S. officials’ talks, Ærø, naïve.",
    "Правительство обсудило проект бюджета; 55 bcm, F-16s, 2 p.m.",
    "",
    *(f.title + " " + f.body for f in fixtures()),
]


def test_bigrams_follow_lucenes_cjk_analyzer() -> None:
    assert bigrams("東京都") == [(0, "東京"), (1, "京都")]
    assert bigrams("都") == [(0, "都")]  # a lone character stays a unigram
    assert bigrams("トランプ") == [(0, "トラ"), (1, "ラン"), (2, "ンプ")]
    assert bigrams("서울시") == [(0, "서울"), (1, "울시")]
    # Runs of other characters inside a word stay whole, at their own offset.
    assert bigrams("東京2020年") == [(0, "東京"), (2, "2020"), (6, "年")]
    assert bigrams("berlin") == [(0, "berlin")]


def test_cjk_analyzer_numbers_positions_and_characters() -> None:
    text = "米朝首脳会談 Trump 習氏"
    tokens = [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in cjk_analyzer()(text, positions=True, chars=True)
    ]
    assert [t[0] for t in tokens] == ["米朝", "朝首", "首脳", "脳会", "会談", "trump", "習氏"]
    assert [t[1] for t in tokens] == list(range(7))
    assert all(text[start:end].lower() == word for word, _, start, end in tokens)


def test_each_language_gets_its_family() -> None:
    assert family(None) == family("") == family("en") == ""
    assert family("de") == "de" and family("DE") == "de"
    assert family("nb") == family("nn") == family("no") == "no"
    assert family("ja") == family("zh") == family("ko") == CJK
    assert family("vi") == ""  # no Snowball stemmer: searched as before
    assert set(FAMILIES) == set(languages.SNOWBALL) | {CJK}


def test_snowball_stems_come_from_pystemmer() -> None:
    for code, algorithm in languages.SNOWBALL.items():
        assert algorithm in Stemmer.algorithms(), code
        stem = SnowballStem(code)
        assert stem("regierungen") == Stemmer.Stemmer(algorithm).stemWord("regierungen")
    assert SnowballStem("de")("regierungen") == "regier"
    assert SnowballStem("ru")("правительством") == "правительств"


def test_whooshs_stemmers_are_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_pystemmer(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "Stemmer":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pystemmer)
    assert SnowballStem("de")("regierungen") == stemmer_for_language("de")("regierungen")
    assert SnowballStem("pl")("rządami") == "rządami"  # neither has it: the folded word stays


def test_elisions_are_cut_before_stemming() -> None:
    french = SnowballStem("fr")
    assert french("l'etat") == french("etat") == "etat"
    assert french("qu'il") == french("il")
    assert french("aujourd'hui") != french("hui")  # not an elision
    assert SnowballStem("it")("dell'economia") == SnowballStem("it")("economia")
    assert SnowballStem("de")("l'etat") == "l'etat"  # only where the language elides


def test_stem_functions_pickle_and_compare_by_language() -> None:
    again = pickle.loads(pickle.dumps(SnowballStem("de")))
    assert again == SnowballStem("de") and hash(again) == hash(SnowballStem("de"))
    assert again != SnowballStem("nl")
    analyzer = pickle.loads(pickle.dumps(language_analyzer("de")))
    assert [t.text for t in analyzer("Regierungen")] == ["regier"]


def test_language_fields_take_the_fast_path_with_whooshs_postings() -> None:
    schema = make_schema()
    for fam in FAMILIES:
        for name in (f"title_{fam}", f"body_{fam}"):
            plan = fastindex.plan_for(schema[name])
            if fam == CJK:
                assert plan is None  # Whoosh's own path: few articles, bigrams
                continue
            assert plan is not None, name
            for text in TEXTS:
                assert plan(text) == list(fastindex._original_index(schema[name], text)), name


def _doc(i: int, body: str, language: str | None) -> IndexDoc:
    return IndexDoc(
        id=i,
        title=f"Story {i}",
        body=body,
        published=dt.date(2024, 1, i),
        source=None,
        people=(),
        content_hash=f"h{i}",
        title_derived=False,
        language=language,
    )


def test_an_english_index_builds_the_query_it_always_built(tmp_path: Path) -> None:
    backend = WhooshBackend(tmp_path / "ix")
    try:
        backend.upsert([_doc(1, "Talks were talked about.", "en"), _doc(2, "Talks.", None)])
        with backend._searcher() as s:
            values = backend._values.for_searcher(s)
            assert values.families() == ("",)
            assert values.average_length(s, "body") is None  # Whoosh's own, bit for bit
            built = backend._query(parse_query('talks "talked about"'), values, SearchFilters())
        assert "body_" not in repr(built).replace("body_exact", "")
        assert repr(built) == repr(backend._translate(parse_query('talks "talked about"')))
    finally:
        backend.close()


def test_a_mixed_index_averages_lengths_per_family_and_adds_document_counts(
    tmp_path: Path,
) -> None:
    backend = WhooshBackend(tmp_path / "ix")
    try:
        backend.upsert(
            [
                _doc(1, "Berlin talks went on.", "en"),
                _doc(2, "Berlin Regierungen streiten in Berlin lange.", "de"),
                _doc(3, "Die Regierung in Berlin.", "de"),
                _doc(4, "東京都知事選挙", "ja"),
            ]
        )
        with backend._searcher() as s:
            values = backend._values.for_searcher(s)
            assert values.families() == ("", "cjk", "de")
            assert values.families(["de", "fr"]) == ("de", "fr")
            assert values.average_length(s, "body_de") == (6 + 4) / 2
            assert values.average_length(s, "body") == 4 / 1
            assert values.average_length(s, "body_exact") is None
        assert backend.doc_frequencies(["Berlin", "Regierung", "知事"]) == {
            "Berlin": 3,
            "Regierung": 2,
            "知事": 1,
        }
    finally:
        backend.close()


def test_one_word_is_one_clause_over_every_family() -> None:
    query = words_query(
        Forms(), "Regierungen", body=True, title=False, families=("", "de", "nl"), ranking=RANKING
    )
    assert [(t.fieldname, t.text) for t in query.clauses] == [
        ("body", "regierungen"),
        ("body_exact", "regierungen"),
        ("body_de", "regier"),
        ("body_nl", "regierung"),
    ]
    several = words_query(
        Forms(), "投票率", body=True, title=True, families=(CJK,), ranking=RANKING
    )
    phrases = [(p.fieldname, list(p.words)) for p in several.subqueries[1:]]
    assert phrases == [("body_cjk", ["投票", "票率"]), ("title_cjk", ["投票", "票率"])]


def test_snippets_mark_inflected_and_cjk_words_in_a_mixed_archive(tmp_path: Path) -> None:
    backend = WhooshBackend(tmp_path / "ix")
    german = "Die Regierungen der Bundesländer streiten."
    japanese = "東京都知事選挙の投票が行われた。"
    try:
        backend.upsert([_doc(1, german, "de"), _doc(2, japanese, "ja"), _doc(3, "Talks.", "en")])
        for q, text, marked in [
            ("Regierung", german, "<mark>Regierungen</mark>"),
            ("選挙", japanese, "<mark>東京都知事選挙の投票が行われた</mark>"),
            ("talk", "Talks were talked about.", "<mark>Talks</mark>"),
        ]:
            backend.search(SearchRequest(query=parse_query(q)))  # what a results page does first
            assert marked in str(backend.highlight(parse_query(q), text)), q
            word = marked.removeprefix("<mark>").removesuffix("</mark>")
            assert backend.locate(parse_query(q), "x " + text) == ("x " + text).index(word), q
    finally:
        backend.close()
