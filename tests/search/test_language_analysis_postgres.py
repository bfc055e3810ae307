"""Analysis per language on PostgreSQL (migration d7e2a4c9b1f5, app.search.postgres_lang):
inflected forms found in each language's articles, two-character words inside Chinese and
Japanese runs, accents folded, a mixed archive searched with and without `lang=`. The same
assertions as the Whoosh side's, through the contract fixture on both table layouts."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.archive import Archive
from app.search import postgres_lang
from app.services.articles import ArticleChanges, update_article
from app.services.searching import SearchParams, search_articles
from tests.factories import add, make_item
from tests.multilingual import fixtures, items
from tests.search.test_search_contract import backend_archive  # noqa: F401  (the fixture)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("backend_archive", ["postgres", "postgres-partitioned"], indirect=True),
]


@pytest.fixture
def mixed(backend_archive: Archive) -> Archive:  # noqa: F811
    add(backend_archive, *items(given=True))
    return backend_archive


def titles(archive: Archive, q: str, **kw: object) -> set[str]:
    page = search_articles(archive, params=SearchParams(q=q, page_size=50, **kw))  # type: ignore[arg-type]
    assert page.total == len(page.items)
    return {i.article.title for i in page.items}


def titled(lang: str, start: str) -> str:
    (title,) = [f.title for f in fixtures() if f.lang == lang and f.title.startswith(start)]
    return title


@pytest.mark.parametrize(
    ("lang", "query", "start"),
    [
        ("de", "Regierung", "Regierungen"),
        ("de", "Zug", "Bahn"),  # "Züge" in the body
        ("fr", "grèves", "La grève"),
        ("fr", "élection", "Les élections"),
        ("es", "cosecha", "La sequía"),
        ("it", "ministro", "I ministri"),
        ("nl", "verkiezing", "Kabinet"),
        ("nl", "boer", "Boeren"),
        ("pt", "incêndio", "Incêndios"),
        ("pt", "governo", "Governos"),
        ("ru", "правительства", "Правительство"),
        ("ru", "мороз", "Сильные"),
    ],
)
def test_an_inflected_form_finds_its_language_s_article(
    mixed: Archive, lang: str, query: str, start: str
) -> None:
    assert titled(lang, start) in titles(mixed, query)
    assert titled(lang, start) in titles(mixed, query, languages=(lang,))


@pytest.mark.parametrize(
    ("lang", "word", "start"),
    [
        ("ja", "知事", "東京都"),
        ("ja", "上陸", "台風"),
        ("ja", "投票率", "東京都"),  # three characters: the phrase of two bigrams
        ("zh", "地铁", "北京"),
        ("zh", "措施", "北京"),
        ("zh", "暴雨", "南方"),
    ],
)
def test_a_word_inside_a_cjk_run_is_found(mixed: Archive, lang: str, word: str, start: str) -> None:
    assert titles(mixed, word) == {titled(lang, start)}


def test_cjk_bigrams_are_not_any_two_characters(mixed: Archive) -> None:
    # Both characters occur in the Tokyo article ("東京"), not in this order next to each other.
    assert titles(mixed, "京東") == set()


@pytest.mark.parametrize(
    ("query", "lang", "start"),
    [
        ("elections", "fr", "Les élections"),
        ("greve", "fr", "La grève"),
        ("sequia", "es", "La sequía"),
        ("incendios", "pt", "Incêndios"),
        ("Zuge", "de", "Bahn"),
    ],
)
def test_accents_are_folded(mixed: Archive, query: str, lang: str, start: str) -> None:
    assert titled(lang, start) in titles(mixed, query)


def test_no_stop_words_are_dropped(mixed: Archive) -> None:
    # "nicht" and "les" are in PostgreSQL's German and French stop-word lists.
    assert titled("de", "Regierungen") in titles(mixed, "nicht")
    assert titled("fr", "Les élections") in titles(mixed, "les")


def test_a_mixed_archive_with_and_without_lang(mixed: Archive) -> None:
    french, spanish = titled("fr", "Les élections"), titled("es", "Los gobiernos")
    english = titled("en", "Floods")  # "region": the English stem of "regional"
    assert {french, spanish, english} <= titles(mixed, "regional")
    assert titles(mixed, "regional", languages=("fr",)) == {french}
    assert titles(mixed, "regional", languages=("es", "fr")) == {french, spanish}
    assert titles(mixed, "Regierungen", languages=("fr",)) == set()


def test_english_and_unknown_keep_the_english_analysis(backend_archive: Archive) -> None:  # noqa: F811
    # English rows, and rows of no language, have exactly the vectors every row had before.
    add(
        backend_archive,
        make_item("Runners were running the race in the U.S. on Monday.", title="Race day"),
        make_item("Nothing to see in the café.", title="Other"),
    )
    with backend_archive.engine.begin() as conn:
        conn.execute(text("UPDATE articles SET language = NULL WHERE id = 2"))
        rows = conn.execute(
            text(
                "SELECT language, search_vector = setweight(to_tsvector('na_english'::regconfig, "
                "na_normalize(title)), 'A') || setweight(to_tsvector('na_english'::regconfig, "
                "na_normalize(body)), 'D') FROM articles ORDER BY id"
            )
        ).all()
    assert [tuple(r) for r in rows] == [("en", True), (None, True)]
    assert titles(backend_archive, "run") == {"Race day"}


def test_an_edited_language_rebuilds_the_vectors(mixed: Archive) -> None:
    german = titled("de", "Regierungen")
    (article_id,) = [i for i, f in enumerate(fixtures(), start=1) if f.title == german]
    update_article(mixed, article_id=article_id, changes=ArticleChanges(language="en"))
    assert german not in titles(mixed, "Regierung")
    update_article(mixed, article_id=article_id, changes=ArticleChanges(language="de"))
    assert german in titles(mixed, "Regierung")


def test_the_configurations_agree_with_the_python_map(backend_archive: Archive) -> None:  # noqa: F811
    codes = [*postgres_lang.SNOWBALL, *sorted(postgres_lang.CJK), "pl", "und"]
    with backend_archive.engine.connect() as conn:
        found = dict(
            conn.execute(
                text("SELECT c, na_config(c)::text FROM unnest(CAST(:codes AS text[])) AS c"),
                {"codes": codes},
            ).all()
        )
        assert conn.scalar(text("SELECT na_config(NULL)::text")) == "na_english"
    for code in codes:
        stemmer = postgres_lang.SNOWBALL.get(code)
        assert found[code] == (f"na_{stemmer}" if stemmer else "na_folded"), code
    # Codes sharing a configuration share one analysis of the query.
    assert postgres_lang.analyses(["nb", "no", None, "en", "pl", "ja", "zh"]) == (
        "en",
        "nb",
        "und",
        "zh",
    )
