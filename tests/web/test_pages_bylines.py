"""Bylines on the pages: agency bylines import as one person and a source; all-capitals names
read in title case (stored as given) on the reading page, author lists, facets and citations."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.archive import Archive
from app.ingest.dated_text import parse_dated_text
from app.services.articles import add_articles
from app.web.citation import bibtex
from tests.factories import add, make_item

AGENCY_STORY = "date 1987-03-02\nauthor By MICHAEL FITZPATRICK, Reuters\n\nOil prices rose.\n"


def test_agency_byline_is_one_author_and_the_source(client: TestClient, archive: Archive) -> None:
    [outcome] = add_articles(archive, items=[parse_dated_text(AGENCY_STORY)])
    article = outcome.article
    assert article.authors == ["MICHAEL FITZPATRICK"] and article.source == "Reuters"
    assert "author = {Michael Fitzpatrick}" in bibtex(article, permalink="p", accessed="x")

    page = client.get(f"/articles/{article.id}").text
    assert ">Michael Fitzpatrick</a>" in page and "MICHAEL FITZPATRICK<" not in page
    authors = client.get("/authors").text
    assert ">Michael Fitzpatrick</a>" in authors and "/authors/Reuters" not in authors
    # The link keeps the stored spelling, so the author's page still finds the article.
    assert 'href="/authors/MICHAEL%20FITZPATRICK"' in authors
    mine = client.get("/authors/MICHAEL%20FITZPATRICK").text
    assert "Michael Fitzpatrick" in mine and "Oil prices rose" in mine
    facets = client.get("/search", params={"q": "oil"}).text
    assert ">Michael Fitzpatrick</a>" in facets


def test_sources_are_not_title_cased(client: TestClient, archive: Archive) -> None:
    add(archive, make_item("Markets moved.", source="CNN", authors=["Ann Lee"]))
    assert ">CNN</a>" in client.get("/sources").text
