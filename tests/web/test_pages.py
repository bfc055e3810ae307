"""HTML pages: they render, link up, escape everything, and fail kindly."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from app.archive import Archive
from app.ingest.dated_text import parse_dated_text
from tests.factories import add, make_item


def seed(archive: Archive, seed_text: str) -> int:
    return add(archive, parse_dated_text(seed_text, origin="seed"))[0].id


def test_home_lists_latest_and_counts(client: TestClient, archive: Archive, seed_text: str) -> None:
    empty = client.get("/")
    assert empty.status_code == 200 and "newsarchive import" in empty.text
    seed(archive, seed_text)
    page = client.get("/").text
    assert "The top US diplomat said" in page
    assert "1 article" in page and 'href="/sources/CNN"' in page and 'href="/browse/2022"' in page
    assert 'role="search"' in page and 'action="/search"' in page


def test_search_page(client: TestClient, archive: Archive, seed_text: str) -> None:
    article_id = seed(archive, seed_text)
    page = client.get("/search", params={"q": "Nord Stream 2"})
    assert page.status_code == 200
    assert "1 result" in page.text
    assert "<mark>Nord</mark> <mark>Stream</mark> <mark>2</mark>" in page.text
    assert f'href="/articles/{article_id}/the-top-us-diplomat' in page.text
    assert "?q=Nord%20Stream%202" in page.text or "?q=Nord+Stream+2" in page.text
    none = client.get("/search", params={"q": "zzyzx"})
    assert "0 results" in none.text and "No articles match" in none.text


def test_search_page_filters_keep_their_values(
    client: TestClient, archive: Archive, seed_text: str
) -> None:
    seed(archive, seed_text)
    page = client.get(
        "/search", params={"q": "russia", "from": "2022-01", "source": "CNN", "sort": "newest"}
    ).text
    assert 'value="2022-01"' in page and 'value="CNN"' in page
    assert '<option value="newest" selected>' in page
    assert "1 result" in page


def test_bad_query_gets_a_friendly_line(client: TestClient) -> None:
    page = client.get("/search", params={"q": '"unclosed'})
    assert page.status_code == 400
    assert "We could not read that query" in page.text and "unclosed quote" in page.text
    bad_date = client.get("/search", params={"from": "2022-02-31"})
    assert bad_date.status_code == 400 and "impossible date" in bad_date.text


def test_search_pagination_links(client: TestClient, archive: Archive) -> None:
    add(
        archive,
        *[
            make_item(f"Harbour story {i}.", title=f"Harbour {i}", date=f"2020-02-{i + 1:02d}")
            for i in range(25)
        ],
    )
    first = client.get("/search", params={"q": "harbour"}).text
    assert "Page 1 of 2" in first and 'rel="next" href="/search?q=harbour&amp;page=2"' in first
    second = client.get("/search", params={"q": "harbour", "page": "2"}).text
    assert 'rel="prev" href="/search?q=harbour"' in second


def test_reading_page(client: TestClient, archive: Archive, seed_text: str) -> None:
    article_id = seed(archive, seed_text)
    r = client.get(f"/articles/{article_id}", follow_redirects=False)
    assert r.status_code == 301
    canonical = r.headers["location"]
    assert canonical.startswith(f"/articles/{article_id}/the-top-us-diplomat")
    page = client.get(canonical)
    assert page.status_code == 200
    html = page.text
    assert page.headers["link"] == (
        f'</api/v1/articles/{article_id}>; rel="alternate"; type="application/json"'
    )
    assert '<time datetime="2022-01-06">Thursday, 6 January 2022</time>' in html
    assert "Kevin Liptak" in html and ">CNN</a>" in html
    assert html.count("<p>") >= 17
    # display clean-up: ". ." noise gone, words kept
    assert "Ukraine. ." not in html and "assembles troops on the border with Ukraine." in html
    assert "Headline taken from the opening sentence" in html
    wrong_slug = client.get(f"/articles/{article_id}/wrong-slug?q=x", follow_redirects=False)
    assert wrong_slug.status_code == 301 and wrong_slug.headers["location"] == canonical + "?q=x"


def test_reading_page_highlights_search_words(
    client: TestClient, archive: Archive, seed_text: str
) -> None:
    article_id = seed(archive, seed_text)
    url = client.get(f"/articles/{article_id}", follow_redirects=False).headers["location"]
    html = client.get(url, params={"q": 'henhouse OR "arms control"'}).text
    marks = re.findall(r'<mark id="m(\d+)">([^<]*)</mark>', html)
    assert [int(n) for n, _ in marks] == list(range(1, len(marks) + 1))  # anchors in order
    words = [w.lower() for _, w in marks]
    assert "henhouse" in words and "arms" in words and "control" in words
    assert f"{len(marks)} matches</span> for" in html and 'href="#m1"' in html
    assert f'href="#m{len(marks)}"' in html
    assert "<mark" not in client.get(url).text
    nothing = client.get(url, params={"q": "zzyzx"}).text
    assert "No words of" in nothing and "<mark" not in nothing


def test_browse_by_date_and_source(client: TestClient, archive: Archive, seed_text: str) -> None:
    article_id = seed(archive, seed_text)
    add(archive, make_item("Another January story.", date="2022-01-20", source="BBC"))
    years = client.get("/browse").text
    assert 'href="/browse/2022"' in years and "2 articles" in years
    months = client.get("/browse/2022").text
    assert 'href="/browse/2022/1"' in months and "January" in months
    days = client.get("/browse/2022/1").text
    assert 'href="/browse/2022/1/6"' in days and 'href="/browse/2022/1/20"' in days
    day = client.get("/browse/2022/1/6").text
    assert f"/articles/{article_id}/" in day and "Another January" not in day
    assert client.get("/browse/1999").status_code == 404
    assert client.get("/browse/2022/13").status_code == 404
    assert client.get("/browse/2022/2/30").status_code == 404
    for huge in (
        "/browse/2022/1/999999999999999999999",
        "/browse/99999999999999999999",
        "/browse/2022/99999999999999999999",
    ):
        assert client.get(huge).status_code == 404, huge
    sources = client.get("/sources").text
    assert 'href="/sources/CNN"' in sources and 'href="/sources/BBC"' in sources
    cnn = client.get("/sources/CNN").text
    assert f"/articles/{article_id}/" in cnn and "Another January" not in cnn


def test_404_page_offers_search(client: TestClient) -> None:
    r = client.get("/no/such/page")
    assert r.status_code == 404
    assert "Not found" in r.text and 'action="/search"' in r.text
    assert client.get("/articles/12345").status_code == 404


def test_script_in_article_is_text_everywhere(client: TestClient, archive: Archive) -> None:
    evil = "<script>alert('pwned')</script>"
    [article] = add(
        archive,
        make_item(
            f"Body starts {evil} and the payload <img src=x onerror=alert(1)> ends.",
            title=f"Title {evil}",
            source=f"Src {evil}",
            authors=[f"Auth {evil}"],
        ),
    )
    pages = [
        client.get("/").text,
        client.get("/search", params={"q": "payload"}).text,
        client.get("/search", params={"q": evil}).text,
        client.get(f"/articles/{article.id}", params={"q": "payload"}).text,
        client.get("/sources").text,
        client.get(
            f"/browse/{article.published.year}/{article.published.month}/{article.published.day}"
        ).text,
    ]
    for html in pages:
        assert "<script>alert" not in html
        assert "<img src=x" not in html
    assert "&lt;script&gt;alert(" in pages[1] and "&lt;img src=x" in pages[1]
    api = client.get("/api/v1/search", params={"q": "payload"}).json()["results"][0]["snippet"]
    assert "<script>" not in api and "<img" not in api and "<mark>payload</mark>" in api


def test_pages_use_no_external_assets(client: TestClient, archive: Archive, seed_text: str) -> None:
    seed(archive, seed_text)
    for url in ["/", "/search?q=russia", "/browse", "/sources"]:
        html = client.get(url).text
        assert not re.search(r'(src|href)="(https?:)?//', html), url
    css = client.get("/static/style.css")
    assert css.status_code == 200 and "prefers-color-scheme" in css.text
