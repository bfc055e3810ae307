"""Story ids in article JSON, GET /api/v1/stories/{id}, the story page and "also published by"."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.test_api import post_json

WIRE = (
    "The central bank raised its main interest rate by half a point on Thursday, the third "
    "increase this year, saying that inflation had stayed well above its target for longer "
    "than it had expected and that wages were still rising quickly across the economy.\n\n"
    "Economists had expected a smaller rise. The bank said further increases were likely."
)


def post_story(client: TestClient, auth: dict[str, str]) -> list[dict]:
    first = post_json(client, auth, body=WIRE, title="Rates rise", source="Wire")
    copy = post_json(
        client,
        auth,
        body="LONDON - " + WIRE.replace("on Thursday", "on Thursday morning"),
        title="Bank raises rates",
        source="Daily Paper",
        date="2021-03-05",
    )
    other = post_json(client, auth, body="The cat sat on the mat all afternoon.", title="Cats")
    return [first, copy, other]


def test_copies_share_a_story_id_and_the_story_lists_them(
    client: TestClient, auth: dict[str, str]
) -> None:
    first, copy, other = post_story(client, auth)
    assert first["story_id"] == copy["story_id"] == first["id"]
    assert other["story_id"] == other["id"]
    r = client.get(f"/api/v1/stories/{first['id']}")
    assert r.status_code == 200, r.text
    story = r.json()
    assert story["id"] == first["id"] and story["size"] == 2
    assert [c["id"] for c in story["copies"]] == [first["id"], copy["id"]]
    assert story["copies"][0]["opening_diff"] == [] and story["copies"][0]["same_opening"]
    diff = story["copies"][1]["opening_diff"]
    assert {"op": "added", "text": "LONDON -"} in diff
    assert {"op": "removed", "text": "Thursday,"} in diff
    assert {"op": "added", "text": "Thursday morning,"} in diff
    assert not story["copies"][1]["same_opening"]
    assert story["links"]["html"].endswith(f"/stories/{first['id']}")


def test_unknown_story_is_a_404_with_the_error_envelope(client: TestClient) -> None:
    for path in ("/api/v1/stories/424242", "/api/v1/stories/99999999999"):
        r = client.get(path)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/stories/x").status_code == 400
    assert client.get("/stories/424242").status_code == 404


def test_story_page_and_also_published_by(client: TestClient, auth: dict[str, str]) -> None:
    first, copy, other = post_story(client, auth)
    page = client.get(f"/stories/{first['id']}")
    assert page.status_code == 200
    assert "Daily Paper" in page.text and "Wire" in page.text
    assert "Thursday morning,</ins>" in page.text
    reading = client.get(f"/articles/{copy['id']}", follow_redirects=True).text
    assert "Also published by" in reading and f'href="/stories/{first["id"]}"' in reading
    alone = client.get(f"/articles/{other['id']}", follow_redirects=True).text
    assert "Also published by" not in alone


def test_search_collapse_story_counts_stories(client: TestClient, auth: dict[str, str]) -> None:
    first, copy, _ = post_story(client, auth)
    plain = client.get("/api/v1/search", params={"q": "bank OR cat"}).json()
    assert plain["total"] == 3 and "folded_by_story" not in plain
    r = client.get("/api/v1/search", params={"q": "bank OR cat", "collapse": "story"})
    assert r.status_code == 200, r.text
    folded = r.json()
    assert folded["total"] == 2 and folded["folded_by_story"] is True
    story = next(x for x in folded["results"] if x["story_id"] == first["id"])
    assert story["id"] in (first["id"], copy["id"]) and story["copies"] == 1
    assert story["story"].endswith(f"/stories/{first['id']}")
    # paging by cursor counts stories: one per page, two pages, no repeats
    seen, params = [], {"q": "bank OR cat", "collapse": "story", "page_size": 1}
    while True:
        page = client.get("/api/v1/search", params=params).json()
        seen += [x["story_id"] for x in page["results"]]
        if not page["next"]:
            break
        params = {**params, "cursor": page["next"]}
    assert len(seen) == 2 == len(set(seen))
    # today's page-level folding still works, and a bad value is a 400 with the envelope
    assert client.get("/api/v1/search", params={"q": "bank", "collapse": "true"}).status_code == 200
    bad = client.get("/api/v1/search", params={"q": "bank", "collapse": "stories"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_parameter"


def test_search_page_one_result_per_story(client: TestClient, auth: dict[str, str]) -> None:
    first, _, _ = post_story(client, auth)
    # on by default: the header's search box sends only the words
    for params in ({"q": "bank OR cat"}, {"q": "bank OR cat", "story": "1"}):
        page = client.get("/search", params=params).text
        assert "One result per story: 2 stories" in page, params
        assert f'href="/stories/{first["id"]}">1 other copy of this story' in page
        assert 'name="story" value="1" checked' in page
    # the form sends story=0 from a hidden field, then story=1 when ticked: the last one wins
    ticked = client.get("/search", params=[("q", "bank OR cat"), ("story", "0"), ("story", "1")])
    assert "One result per story: 2 stories" in ticked.text
    plain = client.get("/search", params=[("q", "bank OR cat"), ("story", "0")]).text
    assert "3 results" in plain
    assert "One result per story:" not in plain and 'value="1" checked' not in plain
    assert '<input type="hidden" name="story" value="0">' in plain
    # the choice travels in the results' links (to the reading page and back)
    assert "story=0" in plain and "story=0" not in page


def test_reading_page_neighbours_follow_the_folded_results(
    client: TestClient, auth: dict[str, str]
) -> None:
    post_story(client, auth)
    folded = client.get("/search", params={"q": "bank OR cat", "sort": "oldest"}).text
    plain = client.get("/search", params={"q": "bank OR cat", "sort": "oldest", "story": "0"})
    assert "Result 1 of 2<" in _nav(client, folded)
    assert "Result 1 of 3<" in _nav(client, plain.text)


def _nav(client: TestClient, page: str) -> str:
    """The reading page of the first result of a results page."""
    start = page.index('<ol class="results"')
    href = page[page.index('href="', start) + 6 :]
    href = href[: href.index('"')].replace("&amp;", "&")
    return client.get(href, follow_redirects=True).text


def test_count_stories_in_facets_histogram_and_comparison(
    client: TestClient, auth: dict[str, str]
) -> None:
    post_story(client, auth)  # the story's copies: 2021-03-04 (Wire) and 2021-03-05
    params = {"q": "bank", "facets": "month,source", "histogram": "month"}
    articles = client.get("/api/v1/search", params=params).json()
    assert articles["count"] == "articles"
    assert articles["facets"]["month"] == [{"value": "2021-03", "count": 2}]
    r = client.get("/api/v1/search", params={**params, "count": "stories"})
    assert r.status_code == 200, r.text
    stories = r.json()
    assert stories["count"] == "stories" and stories["total"] == 2  # results stay articles
    assert stories["facets"]["month"] == [{"value": "2021-03", "count": 1}]
    assert {f["value"]: f["count"] for f in stories["facets"]["source"]} == {
        "Wire": 1,
        "Daily Paper": 1,
    }
    assert [b["count"] for b in stories["histogram"]["buckets"]] == [1]
    compared = client.get(
        "/api/v1/search/histogram", params={"q": "bank", "interval": "day", "count": "stories"}
    ).json()
    assert compared["count"] == "stories" and compared["series"][0]["total"] == 1
    # every story in the archive each day: the story and the cat on the 4th, a copy on the 5th
    assert [p["stories"] for p in compared["periods"]] == [2, 1]
    csv = client.get(
        "/api/v1/search/histogram",
        params={"q": "bank", "interval": "month", "count": "stories", "format": "csv"},
    ).text
    assert csv.splitlines()[0] == "period,start,end,stories,q1_count,q1_share"
    assert csv.splitlines()[1].startswith("2021-03,2021-03-01,2021-03-31,2,1,")
    for path in ("/api/v1/search", "/api/v1/search/histogram"):
        bad = client.get(path, params={"q": "bank", "count": "copies"})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_parameter"
        assert "count" in bad.json()["error"]["message"]


def test_pages_count_stories(client: TestClient, auth: dict[str, str]) -> None:
    post_story(client, auth)
    folded = client.get("/search", params={"q": "bank OR cat"}).text
    assert "Stories matching (a story&#39;s copies counted once) per" in folded
    assert "count=stories" in folded  # the CSV and compare links say what they count
    plain = client.get("/search", params={"q": "bank OR cat", "story": "0"}).text
    assert "Stories matching" not in plain and "Matches per" in plain
    compare = client.get("/compare", params={"q": "bank", "count": "stories"})
    assert compare.status_code == 200
    assert "All stories" in compare.text and "1 story<" in compare.text
    assert '<option value="stories" selected>' in compare.text
    bad = client.get("/compare", params={"q": "bank", "count": "copies"})
    assert bad.status_code == 400 and "count must be" in bad.text
