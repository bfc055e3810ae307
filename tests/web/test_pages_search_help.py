"""Search help on the pages (issue 18 item 11): did you mean for rare misspellings and field
terms, a plain-text way out of a syntax error, no "No words of author:…" on reading pages, and
the search's own feed in the page head."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from app.archive import Archive
from tests.factories import add, make_item


def _load(archive: Archive) -> int:
    articles = add(
        archive,
        *(
            make_item(
                f"The government said the economy grew in quarter {i}.",
                title=f"Government report {i}",
                authors=["Cal Mankowski"],
            )
            for i in range(60)
        ),
        make_item("The goverment denied it.", title="Goverment row"),
    )
    return articles[0].id


def test_did_you_mean_for_misspellings_on_the_page(client: TestClient, archive: Archive) -> None:
    _load(archive)
    for typed, meant in [
        ("ecomony", "economy"),
        ("goverment", "government"),
        ("title:goverment", "title:government"),
    ]:
        page = client.get("/search", params={"q": typed}).text
        assert re.search(rf'Did you mean <a href="[^"]+">{meant}</a>', page), typed


def test_a_syntax_error_offers_plain_words(client: TestClient, archive: Archive) -> None:
    _load(archive)
    r = client.get("/search", params={"q": "(economy AND", "from": "2020"})
    assert r.status_code == 400
    link = re.search(r'<a href="([^"]+)">search these words as plain text: economy</a>', r.text)
    assert link, r.text
    href = link.group(1).replace("&amp;", "&")
    assert href == "/search?q=economy&from=2020"
    assert client.get(href).status_code == 200


def test_an_author_search_marks_nothing_on_the_reading_page(
    client: TestClient, archive: Archive
) -> None:
    first = _load(archive)
    page = client.get(f"/articles/{first}", params={"q": "author:mankowski"}, follow_redirects=True)
    assert "No words of" not in page.text and 'class="matches"' not in page.text
    words = client.get(f"/articles/{first}", params={"q": "nothing-here"}, follow_redirects=True)
    assert "No words of" in words.text  # a word query still says so


def test_the_search_pages_head_names_this_searchs_feed_first(
    client: TestClient, archive: Archive
) -> None:
    _load(archive)
    page = client.get("/search", params={"q": "economy"}).text
    feeds = re.findall(
        r'<link rel="alternate" type="application/atom\+xml"[^>]*href="([^"]+)"', page
    )
    assert feeds[0] == "/feeds/search.atom?q=economy"
    home = client.get("/").text
    assert re.findall(r'type="application/atom\+xml"[^>]*href="([^"]+)"', home) == [
        "/feeds/latest.atom"
    ]
