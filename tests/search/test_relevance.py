"""Ranking choices of the Whoosh backend, and the relevance bench's measures and query building."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from app.archive import Archive
from app.services.searching import SearchParams, search_articles
from bench import relevance
from tests.factories import add, make_item

FILLER = "The council met on Tuesday to discuss the budget and the schedule for next year."


def _ranked(archive: Archive, q: str) -> list[int]:
    page = search_articles(archive, params=SearchParams(q=q), snippets=False)
    return [item.article.id for item in page.items]


def test_a_derived_title_does_not_count_like_a_headline(archive: Archive) -> None:
    # The same words and title; one title is the editor's, the other only the lead's first
    # words. The derived one is stored first, so it would win a tie.
    derived = dataclasses.replace(
        make_item(f"Harbour strike goes on. {FILLER} Alpha.", title="Harbour strike"),
        title_derived=True,
    )
    headline = make_item(f"Harbour strike goes on. {FILLER} Bravo.", title="Harbour strike")
    first, second = add(archive, derived, headline)
    assert _ranked(archive, "harbour") == [second.id, first.id]
    # A derived title is still searchable as a title.
    assert set(_ranked(archive, "title:harbour")) == {first.id, second.id}


def test_words_in_nearly_every_article_barely_count(archive: Archive) -> None:
    # Five words found in 9 articles of 10 together weigh less than one word found in one
    # (with Whoosh's own idf, 1 + log(N / (n + 1)), the common words won).
    articles = add(
        archive,
        make_item(f"{FILLER} Nothing else.", title="One"),
        make_item("A levy on tourists was proposed by the mayor in a long speech.", title="Two"),
        *[make_item(f"{FILLER} Item {n}.", title=f"Other {n}") for n in range(8)],
    )
    ranked = _ranked(archive, "council OR met OR tuesday OR budget OR schedule OR levy")
    assert ranked[0] == articles[1].id


def test_one_rare_word_outweighs_two_less_rare_ones(archive: Archive) -> None:
    # "levy" is in 1 article of 10, "harbour" and "strike" in 3 each. With BM25's idf as it
    # is, the article with both "harbour" and "strike" came first (1.14 + 1.14 > 1.99);
    # raised to the power 1.5 the rare word wins (2.81 > 2 x 1.23).
    articles = add(
        archive,
        make_item("The mayor wants a levy on cruise passengers from next spring.", title="One"),
        make_item("The harbour strike kept cruise passengers waiting all spring.", title="Two"),
        make_item("The harbour strike is over, the union said on Monday.", title="Three"),
        make_item("The harbour strike cost the port a week of trade.", title="Four"),
        *[make_item(f"{FILLER} Item {n}.", title=f"Other {n}") for n in range(6)],
    )
    ranked = _ranked(archive, "levy OR harbour OR strike")
    assert ranked[0] == articles[0].id
    assert set(ranked) == {a.id for a in articles[:4]}


def test_to_query_sends_the_words_as_typed() -> None:
    # Lower-cased (so "OR" and "not" are words, not operators), distinct, no stop list.
    q = relevance.to_query("What is the NUMBER of troops in Viet Nam's south? (OR not) 2 the")
    words = "what is the number of troops in viet nam's south or not 2"
    assert q == " OR ".join(words.split())
    assert relevance.to_query("?!") is None


def test_measures_on_a_known_ranking() -> None:
    ranked = ["a", "x", "b", "y"]
    # Relevant a at 1, b at 3, c never: (1/1 + 2/3) / 3.
    assert relevance.average_precision(ranked, {"a", "b", "c"}) == pytest.approx(5 / 9)
    ideal = 1 + 1 / 1.5849625007211563 + 0.5
    assert relevance.ndcg_at(ranked, {"a", "b", "c"}) == pytest.approx((1 + 0.5) / ideal)
    assert relevance.ndcg_at(["x"], set()) == 0.0


def test_the_bench_skips_without_corpora(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert relevance.main(["--corpora", str(tmp_path), "--out", str(tmp_path / "r.json")]) == 0
    assert "skipped" in capsys.readouterr().out
    assert not (tmp_path / "r.json").exists()


def test_smart_and_time_readers(tmp_path: Path) -> None:
    (tmp_path / "CISI.ALL").write_text(
        ".I 1\n.T\nA title\n.A\nDoe, J.\n.W\n  Some\ntext.\n.X\n1 5 1\n.I 2\n.W\nMore.\n"
    )
    (tmp_path / "CISI.QRY").write_text(".I 1\n.W\nwhat text?\n")
    (tmp_path / "CISI.REL").write_text("     1     2\t0\t0.000000\n")
    coll = relevance.read_cisi(tmp_path)
    assert [(d.key, d.title, d.text, d.authors) for d in coll.docs] == [
        ("1", "A title", "Some text.", ["Doe, J."]),
        ("2", None, "More.", []),
    ]
    assert coll.queries == {"1": "what text?"} and coll.qrels == {"1": {"2"}}


def test_lisa_and_adi_readers(tmp_path: Path) -> None:
    (tmp_path / "LISA0.001").write_text(
        "Document  1\nA TITLE ON\nTWO LINES.\n     \nTHE ABSTRACT\nTEXT.\n"
        + "*" * 44
        + "\nDocument  2\nONLY A TITLE.\n"
        + "*" * 44
        + "\n"
    )
    (tmp_path / "LISA.QUE").write_text("1\nI WANT\nTITLES. #\n2\nMORE. #\n")
    (tmp_path / "LISA.REL").write_text("Query 1\n2 Relevant Refs:\n1 2 -1\n\nQuery 2\n")
    lisa = relevance.read_lisa(tmp_path)
    assert [(d.key, d.title, d.text) for d in lisa.docs] == [
        ("1", "A TITLE ON TWO LINES.", "THE ABSTRACT TEXT."),
        ("2", "ONLY A TITLE.", "ONLY A TITLE."),
    ]
    assert lisa.queries == {"1": "I WANT TITLES.", "2": "MORE."}
    assert lisa.qrels == {"1": {"1", "2"}}
    (tmp_path / "ADI.ALL").write_text(".I 1\n.T\nA title\n.A\nX\n.W\nthe text\n")
    (tmp_path / "ADI.QRY").write_text(".I 1\n.W\nwhat?\n")
    (tmp_path / "ADI.REL").write_text("1   1   0   0.000000\n")
    adi = relevance.read_adi(tmp_path)
    assert [(d.key, d.title, d.text) for d in adi.docs] == [("1", "A title", "the text")]
    assert adi.queries == {"1": "what?"} and adi.qrels == {"1": {"1"}}


def test_report_sets_ours_beside_bm25s() -> None:
    result = {"collection": "x", "map": 0.5, "ndcg10": 0.6, "reference": {}}
    result["reference"] = {n: {"map": 0.4, "ndcg10": 0.5} for n in relevance.SETTINGS}
    text = relevance.report([result])
    assert "0.5000 / 0.6000" in text and "0.4000 / 0.5000" in text
    assert "ours / best bm25s mean: 1.250" in text


@pytest.mark.postgres
def test_postgres_weighs_query_words_by_idf(pg_settings: Any) -> None:
    # PostgreSQL's ts_rank_cd has no idf: the article with five common words won. Each word's
    # rank is now weighted by its BM25 idf, as in the Whoosh backend's test above.
    from app.archive import open_archive

    archive = open_archive(pg_settings)
    try:
        articles = add(
            archive,
            make_item(f"{FILLER} Nothing else.", title="One"),
            make_item(
                "A levy on tourists was proposed by the mayor in a long speech.", title="Two"
            ),
            *[make_item(f"{FILLER} Item {n}.", title=f"Other {n}") for n in range(8)],
        )
        ranked = _ranked(archive, "council OR met OR tuesday OR budget OR schedule OR levy")
        assert ranked[0] == articles[1].id
    finally:
        archive.close()
