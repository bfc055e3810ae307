"""`newsarchive languages [--detect [--all]]` on an archive stored before detection."""

from __future__ import annotations

from sqlalchemy import text

from app.archive import open_archive
from app.config import Settings
from app.services.articles import get_articles
from app.services.searching import SearchParams, search_articles
from tests.cli.test_cli import run
from tests.factories import add
from tests.multilingual import fixtures, items


def test_detect_fills_missing_languages_and_reindexes(settings: Settings) -> None:
    archive = open_archive(settings)
    try:
        add(archive, *items())
        with archive.sessions() as session:  # as an archive imported before detection
            session.execute(text("UPDATE articles SET language = NULL WHERE id > 2"))
            session.execute(text("UPDATE articles SET language = 'fr' WHERE id = 1"))
            session.commit()
    finally:
        archive.close()
    r = run(settings, "languages")
    assert r.exit_code == 0 and "(unknown)" in r.output

    r = run(settings, "languages", "--detect")
    assert r.exit_code == 0, r.output
    assert "checked 18 articles: 18 given a language" in r.output
    assert "German (de)" in r.output and "(unknown)" not in r.output

    archive = open_archive(settings)
    try:
        page = search_articles(archive, params=SearchParams(languages=("ja",)))
        assert sorted(i.article.title for i in page.items) == sorted(
            f.title for f in fixtures() if f.lang == "ja"
        )
        # Without --all, a language already stored stays, even a wrong one.
        assert get_articles(archive, ids=[1])[0].language == "fr"
    finally:
        archive.close()

    r = run(settings, "languages", "--detect", "--all")
    assert "checked 20 articles: 1 given a language" in r.output
    archive = open_archive(settings)
    try:
        assert get_articles(archive, ids=[1])[0].language == "en"
    finally:
        archive.close()
    assert run(settings, "languages", "--all").exit_code == 2
