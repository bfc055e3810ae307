"""Languages through the API: stored as ISO 639-1, PATCH-able, `lang=` filter and facet, in
results and exports; the reading page and its JSON-LD carry the language."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.api.test_api import post_json
from tests.multilingual import fixtures


def _load(client: TestClient, auth: dict[str, str]) -> dict[str, int]:
    """Every fixture, without its language (detected on import): title -> id."""
    ids = {}
    for i, f in enumerate(fixtures()):
        article = post_json(client, auth, title=f.title, body=f.body, date=f"2024-01-{i + 1:02d}")
        ids[f.title] = article["id"]
    return ids


def test_detected_filtered_faceted_and_exported(client: TestClient, auth: dict[str, str]) -> None:
    ids = _load(client, auth)
    german = next(f for f in fixtures() if f.lang == "de")
    assert client.get(f"/api/v1/articles/{ids[german.title]}").json()["language"] == "de"

    r = client.get(
        "/api/v1/search", params=[("lang", "de"), ("lang", "fr-FR"), ("facets", "language")]
    )
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["query"]["lang"] == ["de", "fr"]
    assert {x["language"] for x in data["results"]} == {"de", "fr"}
    assert data["total"] == 4
    assert sorted((f["value"], f["count"]) for f in data["facets"]["language"]) == [
        ("de", 2),
        ("fr", 2),
    ]
    listed = client.get("/api/v1/articles", params={"lang": "ja"}).json()
    assert [x["language"] for x in listed["results"]] == ["ja", "ja"]

    csv = client.get("/api/v1/search/export", params={"lang": "ru", "format": "csv"}).text
    header, *rows = csv.strip().splitlines()
    assert "language" in header.split(",")
    assert len(rows) == 2 and all(",ru," in row for row in rows)


def test_bad_lang_is_400(client: TestClient) -> None:
    r = client.get("/api/v1/search", params={"lang": "not a language"})
    assert r.status_code == 400
    assert r.json()["error"]["param"] == "lang"


def test_patch_language_and_reading_page(client: TestClient, auth: dict[str, str]) -> None:
    article = post_json(client, auth, title="Kurz", body="Ein kurzer Text über die Regierungen.")
    r = client.patch(f"/api/v1/articles/{article['id']}", json={"language": "de-AT"}, headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["language"] == "de"
    page = client.get(f"/articles/{article['id']}").text
    assert '<article class="reading" lang="de">' in page
    ld = page.split('<script type="application/ld+json">')[1].split("</script>")[0]
    assert json.loads(ld)["inLanguage"] == "de"
    found = client.get("/api/v1/search", params={"lang": "de"}).json()
    assert [x["id"] for x in found["results"]] == [article["id"]]
