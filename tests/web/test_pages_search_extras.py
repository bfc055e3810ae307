"""The search page's facets, active filters, timeline and did-you-mean; related articles."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient

from tests.api.test_api import post_json, post_seed


def _load(client: TestClient, auth: dict[str, str]) -> dict:
    seed = post_seed(client, auth)
    for date, source, body in [
        ("2021-05-01", "BBC", "Budget talks resumed in Brussels with Blinken."),
        ("2021-05-03", "Reuters", "Budget talks stalled over farm subsidies."),
        ("2021-08-09", "Reuters", "The budget passed after late talks in Geneva."),
    ]:
        post_json(client, auth, date=date, source=source, body=body, authors=["Ann Lee"])
    return seed


def _hrefs(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]+)"', html)]


def test_facets_timeline_and_filters_on_the_search_page(
    client: TestClient, auth: dict[str, str]
) -> None:
    _load(client, auth)
    # every copy (story=0): the counts are articles; folded (the default) they are stories
    folded = client.get("/search", params={"q": "budget"}).text
    assert "Stories matching (a story&#39;s copies counted once) per day" in folded
    assert "/api/v1/search/histogram?q=budget&interval=day&format=csv&count=stories" in _hrefs(
        folded
    )
    r = client.get("/search", params={"q": "budget", "story": "0"})
    assert r.status_code == 200
    html = r.text
    assert 'class="facets"' in html and "<svg" in html and "<rect" in html
    hrefs = _hrefs(html)
    assert "/search?q=budget&story=0&source=Reuters" in hrefs  # a facet value filters
    # a month facet narrows the dates
    assert "/search?q=budget&story=0&from=2021-05&to=2021-05" in hrefs
    # 101 days from first to last match, one period a day: a bar on each of the three days
    # with a match; the days on which the archive holds nothing are drawn as gaps, not as
    # zeros; a bar narrows the dates to its day.
    assert "/feeds/search.atom?q=budget&story=0" in hrefs
    assert "/api/v1/search/histogram?q=budget&interval=day&format=csv" in hrefs
    assert "Matches per day, 1 May 2021 to 9 Aug 2021" in html
    assert html.count('<rect class="bar"') == 3
    assert "<title>4 May 2021 to 8 Aug 2021: no articles in the archive</title>" in html
    # axes: months along the bottom, a count up the side
    assert re.findall(r'<text class="xlabel[^"]*"[^>]*>([^<]+)</text>', html) == [
        "May 2021",
        "Jun",
        "Jul",
        "Aug",
    ]
    assert re.findall(r'<text class="ylabel"[^>]*>([^<]+)</text>', html) == ["1"]
    assert "/search?q=budget&story=0&from=2021-05-03&to=2021-05-03" in hrefs
    # Following the facet link filters the results and lists the filter with a remove link.
    narrowed = client.get("/search", params={"q": "budget", "source": "Reuters"}).text
    assert "2 results" in narrowed
    assert 'class="chips"' in narrowed and "/search?q=budget" in _hrefs(narrowed)


def test_facets_count_the_matches_without_a_source_or_author(
    client: TestClient, auth: dict[str, str]
) -> None:
    _load(client, auth)
    post_json(client, auth, date="2021-06-01", body="A budget leaked without a byline.")
    facets = client.get("/search", params={"q": "budget"}).text.split('class="facets"')[1]
    facets = facets.split("</nav>")[0]
    missing = re.findall(
        r'<li class="missing"><span>\(no (\w+)\)</span> <span class="count">(\d+)</span>', facets
    )
    # The one-line story is too short to tell its language: "(no language)" too.
    assert missing == [("source", "1"), ("author", "1"), ("language", "1")]
    # Ann Lee's 3 and the one by nobody: all 4 matches
    assert re.search(r'>Ann Lee</a> <span class="count">3</span>', facets)


def test_did_you_mean_and_related_on_pages(client: TestClient, auth: dict[str, str]) -> None:
    seed = _load(client, auth)
    html = client.get("/search", params={"q": "budgte"}).text
    assert "Did you mean" in html and "/search?q=budget" in _hrefs(html)
    assert "Did you mean" not in client.get("/search", params={"q": "budget"}).text
    page = client.get(
        seed["links"]["html"] if "html" in seed.get("links", {}) else f"/articles/{seed['id']}",
        follow_redirects=True,
    )
    assert page.status_code == 200
    assert 'href="/related/' in page.text  # a link: computing them inline slowed every page
    related = client.get(f"/related/{seed['id']}")
    assert related.status_code == 200
    assert 'class="articles related-list"' in related.text
    assert related.text.count("<h1") == 1 and "Related articles</h2>" not in related.text
    assert client.get("/related/999999").status_code == 404
