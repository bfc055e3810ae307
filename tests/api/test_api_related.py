"""GET /api/v1/articles/{id}/related."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.test_api import post_json, post_seed


def test_related_articles(client: TestClient, auth: dict[str, str]) -> None:
    seed = post_seed(client, auth)
    near = post_json(
        client,
        auth,
        date="2022-01-10",
        title="Geneva talks",
        body="Blinken met Russian diplomats in Geneva about de-escalation on the Ukraine border.",
    )
    post_json(client, auth, body="The cat sat on the mat.", title="Cats")
    post_json(client, auth, body="Bread prices rose again in the spring.", title="Bread")
    r = client.get(f"/api/v1/articles/{seed['id']}/related", params={"limit": 2})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [a["id"] for a in results] == [near["id"]]
    assert results[0]["title"] == "Geneva talks" and "links" in results[0]

    missing = client.get("/api/v1/articles/999999/related")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    bad = client.get(f"/api/v1/articles/{seed['id']}/related", params={"limit": 0})
    assert 400 <= bad.status_code < 500 and "error" in bad.json()


def test_search_suggests_a_spelling(client: TestClient, auth: dict[str, str]) -> None:
    post_seed(client, auth)
    data = client.get("/api/v1/search", params={"q": "diplomcy"}).json()
    assert data["total"] == 0 and data["suggestion"] == "diplomacy"
    assert client.get("/api/v1/search", params={"q": data["suggestion"]}).json()["total"] == 1
    assert "suggestion" not in client.get("/api/v1/search", params={"q": "diplomacy"}).json()
