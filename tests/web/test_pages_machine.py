"""Pages for programs: JSON-LD, OpenGraph, Link headers, Atom, sitemap, OpenSearch, citations."""

from __future__ import annotations

import html as htmllib
import json
import re
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from app.archive import Archive
from app.ingest.dated_text import parse_dated_text
from app.web.citation import bibtex, plain, ris
from tests.factories import add, make_item

ATOM = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
OS = "{http://a9.com/-/spec/opensearch/1.1/}"


def _canonical(client: TestClient, article_id: int) -> str:
    return client.get(f"/articles/{article_id}", follow_redirects=False).headers["location"]


def _json_ld(page: str) -> dict:
    m = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert m, "no JSON-LD"
    return json.loads(m[1])


def test_reading_page_json_ld_and_opengraph(
    client: TestClient, archive: Archive, seed_text: str
) -> None:
    [seed] = add(archive, parse_dated_text(seed_text, origin="seed"))
    [other] = add(
        archive,
        make_item(
            "Dock workers voted to strike.",
            title="Dock strike",
            source="Port News",
            authors=["Ann Lee", "Bo Chan"],
            url="https://port.example/strike",
        ),
    )
    page = client.get(_canonical(client, other.id)).text
    data = _json_ld(page)
    assert data["@type"] == "NewsArticle" and data["headline"] == "Dock strike"
    assert data["datePublished"] == "2022-01-06"
    assert [a["name"] for a in data["author"]] == ["Ann Lee", "Bo Chan"]
    assert data["publisher"] == {"@type": "Organization", "name": "Port News"}
    assert data["url"].startswith("http://testserver/articles/")
    assert data["sameAs"] == "https://port.example/strike"
    og = dict(re.findall(r'<meta property="([^"]+)" content="([^"]*)">', page))
    assert og["og:type"] == "article" and og["og:title"] == "Dock strike"
    assert og["og:url"] == data["url"] and og["article:published_time"] == "2022-01-06"
    assert '<link rel="canonical" href="http://testserver/articles/' in page
    seed_data = _json_ld(client.get(_canonical(client, seed.id)).text)
    assert seed_data["contributor"] == [{"@type": "Person", "name": "Kevin Liptak"}]
    assert "author" not in seed_data  # a contributor is not an author


def test_json_ld_cannot_be_closed_by_article_text(client: TestClient, archive: Archive) -> None:
    evil = "</script><script>alert(1)</script>"
    [a] = add(archive, make_item(f"Body {evil} & more.", title=f"T {evil}", source=f"S {evil}"))
    page = client.get(_canonical(client, a.id)).text
    assert page.count("<script>alert") == 0 and "</script><script>" not in page
    data = _json_ld(page)
    assert data["headline"] == f"T {evil}" and data["publisher"]["name"] == f"S {evil}"


@pytest.mark.parametrize(
    ("path", "twin"),
    [
        ("/", "/api/v1/articles"),
        ("/search?q=dock&source=Port+News", "/api/v1/search?q=dock&source=Port+News"),
        ("/browse", "/api/v1/articles"),
        ("/browse/2022", "/api/v1/articles?from=2022&to=2022"),
        ("/browse/2022/1", "/api/v1/articles?from=2022-01&to=2022-01"),
        ("/browse/2022/1/6", "/api/v1/articles?from=2022-01-06&to=2022-01-06"),
        ("/sources", "/api/v1/articles"),
        ("/sources/Port%20News", "/api/v1/articles?source=Port+News"),
        ("/authors", "/api/v1/articles"),
        ("/authors/Ann%20Lee", "/api/v1/articles?author=Ann+Lee"),
    ],
)
def test_every_page_links_its_json_twin(
    client: TestClient, archive: Archive, path: str, twin: str
) -> None:
    add(archive, make_item("Dock workers voted.", source="Port News", authors=["Ann Lee"]))
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["link"] == f'<{twin}>; rel="alternate"; type="application/json"'
    assert f'<link rel="alternate" type="application/json" href="{htmllib.escape(twin)}">' in r.text
    api = client.get(twin)
    assert api.status_code == 200 and api.json()["total"] == 1


def test_authors_pages(client: TestClient, archive: Archive, seed_text: str) -> None:
    add(archive, parse_dated_text(seed_text, origin="seed"))
    add(
        archive,
        make_item("One.", title="First by Lee", authors=["Ann Lee"], date="2021-05-01"),
        make_item("Two.", title="Second by Lee", authors=["Ann Lee", "Bo Chan"]),
    )
    listing = client.get("/authors").text
    assert re.search(r'href="/authors/Ann%20Lee">Ann Lee</a> <span>2</span>', listing)
    assert 'href="/authors/Bo%20Chan"' in listing and "Kevin Liptak" not in listing
    assert '<a href="/authors" aria-current="page">Authors</a>' in listing
    lee = client.get("/authors/ann lee").text  # names match whatever the case
    assert "First by Lee" in lee and "Second by Lee" in lee and "2 articles" in lee
    assert lee.index("Second by Lee") < lee.index("First by Lee")  # newest first
    assert '<a href="/authors" aria-current="true">Authors</a>' in lee
    assert client.get("/authors/Nobody").status_code == 404
    assert client.get("/sources/Nowhere").status_code == 404


def test_list_pagination_has_rel_links(client: TestClient, archive: Archive) -> None:
    add(archive, *[make_item(f"Story {i}.", source="Wire", date="2020-02-02") for i in range(35)])
    first = client.get("/sources/Wire").text
    assert '<link rel="next" href="/sources/Wire?page=2">' in first
    assert 'rel="prev"' not in first
    second = client.get("/sources/Wire", params={"page": 2}).text
    assert '<link rel="prev" href="/sources/Wire">' in second and "Page 2 of 2" in second
    assert client.get("/sources/Wire", params={"page": 3}).status_code == 404
    add(archive, *[make_item(f"Note {i}.", authors=["Ann Lee"]) for i in range(31)])
    lee = client.get("/authors/Ann%20Lee").text
    assert '<link rel="next" href="/authors/Ann%20Lee?page=2">' in lee
    assert 'rel="next" href="/authors/Ann%20Lee?page=2">Next' in lee


def test_month_is_a_calendar(client: TestClient, archive: Archive) -> None:
    add(
        archive,
        *[
            make_item(f"Day {d} story {i}.", date=f"2022-02-{d:02d}")
            for i, d in enumerate((1, 1, 14))
        ],
    )
    page = client.get("/browse/2022/2").text
    assert "3 articles on 2 days" in page
    assert page.count("<tr>") == 1 + 5  # header + five weeks: Feb 2022 runs Tue 1 .. Mon 28
    assert re.search(r'href="/browse/2022/2/1">.*?>2<span class="visually-hidden"> articles', page)
    assert 'href="/browse/2022/2/2"' not in page  # no articles, no link
    year = client.get("/browse/2022").text
    assert 'href="/browse/2022/2"' in year and 'href="/browse/2022/3"' not in year
    assert year.count('class="empty"') == 11


def test_atom_feeds(client: TestClient, archive: Archive) -> None:
    add(
        archive,
        make_item("Older <b>harbour</b> news.", title="Old", source="Port News", date="2021-01-01"),
        make_item("Newer news.", title="New & shiny", source="Port News", authors=["Ann Lee"]),
        make_item("Elsewhere.", title="Other", source="Hill Times", date="2021-06-01"),
    )
    r = client.get("/feeds/latest.atom")
    assert r.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(r.content)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["New & shiny", "Other", "Old"]
    first = entries[0]
    assert first.findtext(f"{ATOM}published") == "2022-01-06T00:00:00Z"
    assert first.find(f"{ATOM}link").get("href").startswith("http://testserver/articles/")
    assert first.findtext(f"{ATOM}author/{ATOM}name") == "Ann Lee"
    assert entries[2].findtext(f"{ATOM}summary") == "Older <b>harbour</b> news."  # text, not HTML
    port = ET.fromstring(client.get("/feeds/sources/port%20news.atom").content)
    assert port.findtext(f"{ATOM}title") == "News Archive: Port News"
    assert [e.findtext(f"{ATOM}title") for e in port.findall(f"{ATOM}entry")] == [
        "New & shiny",
        "Old",
    ]
    self_link = port.find(f"{ATOM}link[@rel='self']").get("href")
    assert self_link == "http://testserver/feeds/sources/Port%20News.atom"
    assert client.get("/feeds/sources/Nowhere.atom").status_code == 404
    listing = client.get("/sources/Port%20News").text
    assert 'type="application/atom+xml" title="Latest from Port News"' in listing


def test_sitemap_opensearch_robots(client: TestClient, archive: Archive) -> None:
    articles = add(archive, *[make_item(f"Story {i}.", title=f"Story {i}") for i in range(3)])
    urls = ET.fromstring(client.get("/sitemap.xml").content).findall(f"{SM}url/{SM}loc")
    locs = [u.text for u in urls]
    assert locs[:4] == [f"http://testserver{p}" for p in ["/", "/browse", "/sources", "/authors"]]
    for a in articles:
        assert f"http://testserver/articles/{a.id}/story-{a.title[-1]}" in locs
    osd = ET.fromstring(client.get("/opensearch.xml").content)
    templates = {u.get("type"): u.get("template") for u in osd.findall(f"{OS}Url")}
    assert templates["text/html"] == "http://testserver/search?q={searchTerms}"
    assert osd.findtext(f"{OS}ShortName") == "News Archive"
    home = client.get("/").text
    assert 'rel="search" type="application/opensearchdescription+xml"' in home
    assert "Sitemap: http://testserver/sitemap.xml" in client.get("/robots.txt").text


def test_citations(client: TestClient, archive: Archive, seed_text: str) -> None:
    [a] = add(
        archive,
        make_item(
            "Prices rose 5% & more.",
            title="Prices up {again} 50%_",
            source="Daily & Co",
            authors=["José Núñez", "Ann Lee"],
            url="https://daily.example/prices",
            date="2021-03-04",
        ),
    )
    link = "http://x/articles/1/p"
    bib = bibtex(a, permalink=link, accessed="2026-01-01")
    assert bib.startswith("@article{nunez2021prices,\n")
    assert r"title = {Prices up \{again\} 50\%\_}" in bib
    assert "author = {José Núñez and Ann Lee}" in bib and r"journal = {Daily \& Co}" in bib
    assert "date = {2021-03-04}" in bib and "url = {https://daily.example/prices}" in bib
    assert bib.count("{") - bib.count(r"\{") == bib.count("}") - bib.count(r"\}")
    record = ris(a, permalink=link, accessed="2026-01-01").splitlines()
    assert record[0] == "TY  - NEWS" and record[-1] == "ER  - "
    assert "AU  - José Núñez" in record and "AU  - Ann Lee" in record
    assert "DA  - 2021/03/04" in record and "T2  - Daily & Co" in record
    text = plain(a, permalink=link, accessed="2026-01-01")
    assert text == (
        "José Núñez, Ann Lee. “Prices up {again} 50%_.” Daily & Co, 4 March 2021. "
        "https://daily.example/prices. Archived copy: http://x/articles/1/p (accessed 2026-01-01)."
    )

    page = client.get(_canonical(client, a.id)).text
    assert "Daily &amp; Co" in page and f'href="/articles/{a.id}/cite.bib"' in page
    r = client.get(f"/articles/{a.id}/cite.bib")
    assert r.headers["content-type"].startswith("application/x-bibtex")
    assert r.text.startswith("@article{nunez2021prices") and "http://testserver/articles/" in r.text
    assert client.get(f"/articles/{a.id}/cite.ris").text.startswith("TY  - NEWS")
    assert client.get(f"/articles/{a.id}/cite.txt").text.startswith("José Núñez")
    assert client.get(f"/articles/{a.id}/cite.doc").status_code == 404
    assert client.get("/articles/999/cite.bib").status_code == 404


def test_counts_follow_adds_and_deletes(client: TestClient, archive: Archive) -> None:
    from app.services.articles import delete_article

    [first] = add(archive, make_item("One.", source="Wire", date="2020-01-01"))
    assert re.search(r'href="/sources/Wire">Wire</a> <span>1</span>', client.get("/").text)
    add(archive, make_item("Two.", source="Wire", date="2021-01-01", authors=["Ann Lee"]))
    home = client.get("/").text
    assert re.search(r'href="/sources/Wire">Wire</a> <span>2</span>', home)
    assert 'href="/browse/2021"' in home and 'href="/authors/Ann%20Lee"' in home
    delete_article(archive, article_id=first.id)
    home = client.get("/").text
    assert re.search(r'href="/sources/Wire">Wire</a> <span>1</span>', home)
    assert 'href="/browse/2020"' not in home


def test_citation_without_original_url(
    client: TestClient, archive: Archive, seed_text: str
) -> None:
    [seed] = add(archive, parse_dated_text(seed_text, origin="seed"))
    text = client.get(f"/articles/{seed.id}/cite.txt").text
    assert text.startswith("“The top US diplomat") and "CNN, 6 January 2022." in text
    assert text.count("http://testserver/articles/") == 1  # the archive copy, once
    record = client.get(f"/articles/{seed.id}/cite.ris").text.splitlines()
    assert not any(line.startswith("AU  -") for line in record)  # Liptak only contributed
    assert "UR  - http://testserver" + _canonical(client, seed.id) in record
