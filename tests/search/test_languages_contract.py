"""Languages on every backend: detected at import, the `lang=` filter and the language facet;
analysis per language (inflected forms, CJK words inside runs of characters, accents)."""

from __future__ import annotations

import pytest

from app.archive import Archive
from app.services.articles import get_articles
from app.services.facets import search_facets
from app.services.searching import SearchParams, search_articles
from tests.factories import add, make_item
from tests.multilingual import fixtures, items
from tests.search.test_search_contract import backend_archive  # noqa: F401  (the fixture)


@pytest.fixture
def mixed(backend_archive: Archive) -> Archive:  # noqa: F811
    add(backend_archive, *items())
    return backend_archive


def search(archive: Archive, q: str | None, **kw: object) -> list[str]:
    """Titles of the matches, best first."""
    page = search_articles(archive, params=SearchParams(q=q, page_size=50, **kw))  # type: ignore[arg-type]
    assert page.total == len(page.items)
    return [i.article.title for i in page.items]


def test_imports_detect_each_fixture_s_language(mixed: Archive) -> None:
    stored = get_articles(mixed, ids=list(range(1, 21)))
    assert [a.language for a in stored] == [f.lang for f in fixtures()]


def test_a_given_language_is_stored_as_iso_639_1(backend_archive: Archive) -> None:  # noqa: F811
    item = make_item("Ministers met on Tuesday to agree the budget for next year.")
    item.language = "en-GB"
    (article,) = add(backend_archive, item)
    assert article.language == "en"


def test_lang_filter_and_facet(mixed: Archive) -> None:
    german = {f.title for f in fixtures() if f.lang == "de"}
    assert set(search(mixed, None, languages=("de",))) == german
    both = {f.title for f in fixtures() if f.lang in ("de", "fr")}
    assert set(search(mixed, None, languages=("de", "fr"))) == both
    assert search(mixed, None, languages=("sv",)) == []
    facets = search_facets(mixed, params=SearchParams(), facets=("language",))
    assert {(v.value, v.count) for v in facets["language"]} == {
        (lang, 2) for lang in {f.lang for f in fixtures()}
    }
    # The facet follows the filter.
    only = search_facets(mixed, params=SearchParams(languages=("ja",)), facets=("language",))
    assert [(v.value, v.count) for v in only["language"]] == [("ja", 2)]


def test_an_edited_language_reaches_the_filter(mixed: Archive) -> None:
    from app.services.articles import ArticleChanges, update_article

    update_article(mixed, article_id=1, changes=ArticleChanges(language="de-CH"))
    assert "Parliament approves budget after late-night vote" in search(
        mixed, None, languages=("de",)
    )
