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
    page = client.get("/search", params={"q": "bank OR cat", "story": "1"}).text
    assert "One result per story: 2 stories" in page
    assert f'href="/stories/{first["id"]}">1 other copy of this story' in page
    assert 'name="story" value="1" checked' in page
    plain = client.get("/search", params={"q": "bank OR cat"}).text
    assert "One result per story:" not in plain and 'value="1" checked' not in plain
