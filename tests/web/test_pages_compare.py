"""The comparison page: up to three searches on one time line, as shares of all articles."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient

from tests.api.test_api import post_json


def _load(client: TestClient, auth: dict[str, str]) -> None:
    for date, body in [
        ("2021-01-10", "Budget talks resumed."),
        ("2021-01-20", "Weather was mild."),
        ("2021-03-05", "Budget passed; tariffs next."),
        ("2021-03-06", "Tariffs rose on steel."),
        ("2021-04-07", "Tariffs and the budget again."),
        ("2021-04-08", "A quiet day for trade."),
    ]:
        post_json(client, auth, date=date, body=body, source="BBC")


def test_two_searches_on_one_chart_with_the_same_numbers_as_the_api(
    client: TestClient, auth: dict[str, str]
) -> None:
    _load(client, auth)
    params = [("q", "budget"), ("q", "tariffs"), ("interval", "month")]
    r = client.get("/compare", params=params)
    assert r.status_code == 200
    html = r.text
    # February has no articles at all, so its share is unknown and each line breaks there:
    # a dot for January and a line from March to April.
    assert html.count('<polyline class="series-1 dot"') == 1
    assert html.count('<polyline class="series-1"') == 1
    assert html.count('<polyline class="series-2') == 2
    assert "per month that match, Jan 2021 to Apr 2021" in html
    # Axes: months along the bottom, percentages up the side; February drawn as a gap.
    assert re.findall(r'<text class="xlabel[^"]*"[^>]*>([^<]+)</text>', html) == [
        "Jan 2021",
        "Feb",
        "Mar",
        "Apr",
    ]
    assert re.findall(r'<text class="ylabel"[^>]*>([^<]+) %</text>', html)
    assert "<title>Feb 2021: no articles in the archive</title>" in html
    api = client.get("/api/v1/search/histogram", params=params).json()
    rows = re.findall(r"<tr><th scope=\"row\">([^<]+)</th><td>([\d,]+)</td>(.*?)</tr>", html)
    assert [(p, int(n)) for p, n, _ in rows] == [(b["key"], b["articles"]) for b in api["periods"]]
    for j, (_, _, cells) in enumerate(rows):
        shown = re.findall(r"<td>([\d,]+)(?: \(([\d.]+) %\))?</td>", cells)
        for i, (count, percent) in enumerate(shown):
            series = api["series"][i]
            assert int(count) == series["counts"][j]
            share = series["shares"][j]
            assert (float(percent) if percent else None) == (
                None if share is None else round(share * 100, 2)
            )
    assert [s["shares"][1] for s in api["series"]] == [None, None]  # February: no articles
    hrefs = [unescape(h) for h in re.findall(r'href="([^"]+)"', html)]
    assert "/search?q=budget" in hrefs and "/search?q=tariffs" in hrefs
    assert "/api/v1/search/histogram?q=budget&q=tariffs&interval=month&format=csv" in hrefs
    assert r.headers["link"].startswith("</api/v1/search/histogram?q=budget&q=tariffs")


def test_the_search_page_links_to_a_comparison_and_filters_carry_over(
    client: TestClient, auth: dict[str, str]
) -> None:
    _load(client, auth)
    # folded by story (the default), the search page counts stories, and so does its comparison
    html = client.get("/search", params={"q": "budget", "source": "BBC"}).text
    assert "/compare?q=budget&source=BBC&count=stories" in [
        unescape(h) for h in re.findall(r'href="([^"]+)"', html)
    ]
    html = client.get("/search", params={"q": "budget", "source": "BBC", "story": "0"}).text
    assert "/compare?q=budget&source=BBC" in [
        unescape(h) for h in re.findall(r'href="([^"]+)"', html)
    ]
    page = client.get("/compare", params={"q": "budget", "source": "CNN"})
    assert page.status_code == 200
    assert "None of these searches matches an article with these filters" in page.text


def test_bad_input_is_a_400_page_with_the_reason(client: TestClient, auth: dict[str, str]) -> None:
    _load(client, auth)
    four = client.get("/compare", params=[("q", w) for w in ("a", "b", "c", "d")])
    assert four.status_code == 400 and "compare 1 to 3 queries" in four.text
    bad = client.get("/compare", params={"q": '"unclosed', "interval": "month"})
    assert bad.status_code == 400 and "could not read" in bad.text
    assert "search 1 (&#34;unclosed)" in bad.text  # which of the searches
    assert client.get("/compare", params={"q": "budget", "interval": "week"}).status_code == 400
    assert client.get("/compare", params={"q": "budget", "from": "2021-13"}).status_code == 400
    empty = client.get("/compare")
    assert empty.status_code == 200 and 'name="q"' in empty.text and "<svg" not in empty.text


def test_queries_are_escaped_everywhere(client: TestClient, auth: dict[str, str]) -> None:
    post_json(client, auth, date="2021-01-10", body="Script kiddies <b>bold</b> talk.")
    html = client.get("/compare", params={"q": "<script>alert(1)</script> kiddies"}).text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; kiddies" in html
