"""`fix_agency_bylines` on both storage setups: agencies stored as a last author move to the
source and the search index follows (issue 18 item 5, for archives loaded before)."""

from __future__ import annotations

import pytest

from app.archive import open_archive
from app.config import Settings
from app.services.articles import get_article
from app.services.bylines import fix_agency_bylines
from app.services.searching import SearchParams, search_articles
from tests.factories import add, make_item


@pytest.fixture(params=["whoosh", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    if request.param == "postgres":
        return request.getfixturevalue("pg_settings")  # type: ignore[no-any-return]
    return settings


def test_fix_agency_bylines(any_settings: Settings) -> None:
    archive = open_archive(any_settings)
    try:
        agency, own, people = add(
            archive,
            make_item("Oil rose.", authors=["MICHAEL FITZPATRICK", "Reuters"]),
            make_item("Gold fell.", source="Daily Planet", authors=["Lois Lane", "Daily Planet"]),
            make_item("Tin held.", authors=["Jane Doe", "John Roe"]),
        )
        assert [f.article_id for f in fix_agency_bylines(archive, dry_run=True)] == [
            agency.id,
            own.id,
        ]
        assert get_article(archive, article_id=agency.id).authors[-1] == "Reuters"
        fix_agency_bylines(archive)
        fixed = get_article(archive, article_id=agency.id)
        assert (fixed.authors, fixed.source) == (["MICHAEL FITZPATRICK"], "Reuters")
        assert get_article(archive, article_id=own.id).authors == ["Lois Lane"]
        assert get_article(archive, article_id=people.id).authors == ["Jane Doe", "John Roe"]
        found = search_articles(archive, params=SearchParams(q="author:reuters"), snippets=False)
        assert found.total == 0
        assert fix_agency_bylines(archive) == []
    finally:
        archive.close()
