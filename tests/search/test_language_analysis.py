"""Analysis per language, as a contract: which articles a search finds, never how a backend
stores its terms. Inflected forms per language (Snowball), words inside Chinese and Japanese
runs of characters (bigrams), accents folded, a mixed archive with and without `lang=`, and real
German and Japanese pages from ../shared/corpora.

Runs on every backend of the contract fixture: Whoosh, PostgreSQL, and PostgreSQL partitioned
(tests/search/test_language_analysis_postgres.py adds the PostgreSQL-only cases).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.archive import Archive
from app.ingest.html_reader import parse_html
from app.services.searching import SearchParams, search_articles
from tests.factories import add, make_item
from tests.multilingual import fixtures, items
from tests.search.test_search_contract import backend_archive  # noqa: F401  (the fixture)

ANALYSING = ["whoosh", "postgres", "postgres-partitioned"]
pytestmark = pytest.mark.parametrize("backend_archive", ANALYSING, indirect=True)

TITLES = {f.title: f for f in fixtures()}


def title_of(lang: str, word: str) -> str:
    """The fixture title in `lang` whose title or body has `word` (exactly, as written)."""
    (title,) = [
        f.title
        for f in fixtures()
        if f.lang == lang and re.search(rf"\b{re.escape(word)}\b", f.title + " " + f.body)
    ]
    return title


@pytest.fixture
def mixed(backend_archive: Archive) -> Archive:  # noqa: F811
    add(backend_archive, *items(given=True))
    return backend_archive


def found(archive: Archive, q: str, **kw: object) -> set[str]:
    page = search_articles(archive, params=SearchParams(q=q, page_size=50, **kw))  # type: ignore[arg-type]
    assert page.total == len(page.items)
    return {i.article.title for i in page.items}


# (language, query, a form written in exactly one fixture of that language and not the query)
INFLECTED = [
    ("de", "Regierung", "Regierungen"),
    ("de", "Zug", "Züge"),
    ("de", "Verspätung", "Verspätungen"),
    ("fr", "élection", "élections"),
    ("fr", "transport", "transports"),
    ("fr", "syndicat", "syndicats"),
    ("es", "cosecha", "cosechas"),
    ("es", "provincia", "provincias"),
    ("it", "pensione", "pensioni"),
    ("it", "scuola", "scuole"),
    ("nl", "verkiezing", "verkiezingen"),
    ("nl", "boer", "boeren"),
    ("pt", "incêndio", "Incêndios"),
    ("pt", "medida", "medidas"),
    ("ru", "правительством", "Правительство"),
    ("ru", "мороз", "морозы"),
]


@pytest.mark.parametrize(("lang", "query", "written"), INFLECTED)
def test_inflected_forms_are_found_in_their_language(
    mixed: Archive, lang: str, query: str, written: str
) -> None:
    text = " ".join(f.title + " " + f.body for f in fixtures())
    assert not re.search(rf"\b{re.escape(query)}\b", text, re.IGNORECASE)  # only by its stem
    assert title_of(lang, written) in found(mixed, query)
    assert found(mixed, query, languages=(lang,)) == {title_of(lang, written)}


def test_a_phrase_matches_inflected_words_in_order(mixed: Archive) -> None:
    # "gemeinsame Linie" is written; the query's adjective ending differs.
    german = title_of("de", "gemeinsame")
    assert found(mixed, '"gemeinsamen Linie"') == {german}
    assert found(mixed, '"Linie gemeinsamen"') == set()


def test_french_elision_is_cut(mixed: Archive) -> None:
    # "partis d'opposition": the English and German fixtures say "opposition" too.
    french = title_of("fr", "d'opposition")
    assert french in found(mixed, "opposition")
    assert found(mixed, "opposition", languages=("fr",)) == {french}


@pytest.mark.parametrize(
    ("lang", "word", "run"),
    [
        ("ja", "選挙", "東京都知事選挙"),
        ("ja", "知事", "東京都知事選挙"),
        ("ja", "上陸", "九州に上陸し"),
        ("zh", "政府", "北京市政府宣布新的交通措施"),
        ("zh", "交通", "北京市政府宣布新的交通措施"),
        ("zh", "洪水", "发生洪水"),
    ],
)
def test_cjk_words_inside_runs_of_characters_are_found(
    mixed: Archive, lang: str, word: str, run: str
) -> None:
    assert word in run
    expected = {f.title for f in fixtures() if word in f.title + f.body}
    assert any(TITLES[t].lang == lang and run in TITLES[t].title + TITLES[t].body for t in expected)
    assert found(mixed, word) == expected


def test_a_longer_cjk_query_needs_its_characters_in_order(mixed: Archive) -> None:
    japanese = {f.title for f in fixtures() if "投票率" in f.title + f.body}
    assert found(mixed, "投票率") == japanese
    assert found(mixed, "東京都知事") == japanese
    assert found(mixed, "率投票") == set()  # the same characters, another order
    assert found(mixed, "京北") == set()


def test_accents_are_folded_in_every_language(mixed: Archive) -> None:
    assert title_of("fr", "élections") in found(mixed, "elections")
    assert title_of("fr", "grève") in found(mixed, "GREVE")
    assert title_of("pt", "Incêndios") in found(mixed, "incendios")
    assert title_of("de", "Züge") in found(mixed, "Zuge")
    assert title_of("es", "sequía") in found(mixed, "sequia")


def test_a_mixed_archive_with_and_without_lang(mixed: Archive) -> None:
    english = title_of("en", "opposition")
    german = title_of("de", "Opposition")
    french = title_of("fr", "d'opposition")
    assert found(mixed, "opposition") >= {english, german, french}
    assert found(mixed, "opposition", languages=("de",)) == {german}
    assert found(mixed, "opposition", languages=("de", "fr")) == {german, french}
    assert found(mixed, "opposition", languages=("en",)) == {english}
    assert found(mixed, "Regierung", languages=("fr",)) == set()


def test_english_keeps_its_stemming_beside_other_languages(mixed: Archive) -> None:
    budget = title_of("en", "approved")
    assert budget in found(mixed, "approve")
    assert budget in found(mixed, "US")  # no stop words removed
    assert title_of("en", "schools") in found(mixed, "school")


def test_unknown_language_is_searched_as_before(backend_archive: Archive) -> None:  # noqa: F811
    (article,) = add(backend_archive, make_item("Talks were talked about in talking rooms."))
    assert article.language in (None, "en")
    assert found(backend_archive, "talk") == {article.title}


def test_a_corrected_language_is_searched_in_its_new_language(mixed: Archive) -> None:
    from app.services.articles import ArticleChanges, update_article

    dutch = title_of("nl", "verkiezingen")
    (article_id,) = [i for i, f in enumerate(fixtures(), 1) if f.title == dutch]
    update_article(mixed, article_id=article_id, changes=ArticleChanges(language="en"))
    assert dutch not in found(mixed, "verkiezing")  # no English stem finds it any more
    assert dutch in found(mixed, "verkiezingen")  # its exact form still does
    update_article(mixed, article_id=article_id, changes=ArticleChanges(language="nl"))
    assert dutch in found(mixed, "verkiezing")


GERMAN_PAGES = [
    # (page, query not written in it, the inflected form that is)
    ("html_trafilatura/spiegel.de.albtraum.html", "Faktor", "Faktoren"),
    ("html_trafilatura/zeit.de.zugverkehr.html", "Verbindung", "Verbindungen"),
    ("html_newspaper/vogue.de2.html", None, None),
]


@pytest.mark.corpus
def test_real_german_and_japanese_pages(backend_archive: Archive, corpora: Path) -> None:  # noqa: F811
    messy = corpora / "messy_formats"
    pages = {}
    for page in [p for p, _, _ in GERMAN_PAGES] + ["html_newspaper/japanese_article.html"]:
        item = parse_html((messy / page).read_bytes(), origin=page)
        (pages[page],) = add(backend_archive, item)
    assert {a.language for a in pages.values()} == {"de", "ja"}
    for page, query, written in GERMAN_PAGES:
        if query is None:
            continue
        text = pages[page].title + " " + pages[page].body
        assert written in text and not re.search(rf"\b{query}\b", text)
        assert pages[page].title in found(backend_archive, query)
    japanese = pages["html_newspaper/japanese_article.html"]
    for word in ("首脳", "会談", "習近平", "北朝鮮"):
        assert word in japanese.body
        assert japanese.title in found(backend_archive, word)
        assert found(backend_archive, word, languages=("de",)) == set()
