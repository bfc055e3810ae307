"""`facets` and `histogram` on /api/v1/search: counts over all matches, through the service."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.test_api import post_json, post_seed


def _load(client: TestClient, auth: dict[str, str]) -> None:
    post_seed(client, auth)
    stories = [
        ("2021-05-01", "BBC", "Budget talks resumed in Brussels."),
        ("2021-05-03", "Reuters", "Budget talks stalled over farm subsidies."),
        ("2021-08-09", "Reuters", "The budget passed after late talks."),
        ("2022-02-01", "Reuters", "Rail strike talks collapsed."),
    ]
    for date, source, body in stories:
        post_json(client, auth, date=date, source=source, body=body, authors=["Ann Lee"])


def test_search_with_facets_and_histogram(client: TestClient, auth: dict[str, str]) -> None:
    _load(client, auth)
    r = client.get(
        "/api/v1/search",
        params={"q": "budget", "facets": "source,author,year,month", "histogram": "month"},
    )
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["total"] == 3
    assert data["facets"]["source"] == [
        {"value": "Reuters", "count": 2},
        {"value": "BBC", "count": 1},
    ]
    assert data["facets"]["author"] == [{"value": "Ann Lee", "count": 3}]
    assert data["facets"]["year"] == [{"value": "2021", "count": 3}]
    assert [f["value"] for f in data["facets"]["month"]] == ["2021-05", "2021-08"]
    hist = data["histogram"]
    assert hist["interval"] == "month"
    assert [b["key"] for b in hist["buckets"]] == ["2021-05", "2021-06", "2021-07", "2021-08"]
    assert [b["count"] for b in hist["buckets"]] == [2, 0, 0, 1]
    assert hist["buckets"][0] == {
        "key": "2021-05",
        "start": "2021-05-01",
        "end": "2021-05-31",
        "count": 2,
    }

    assert data["facets_missing"] == {"source": 0, "author": 0}
    post_json(client, auth, date="2021-09-01", body="A budget with no byline and no source.")
    data = client.get("/api/v1/search", params={"q": "budget", "facets": "author"}).json()
    assert data["facets"]["author"] == [{"value": "Ann Lee", "count": 3}]
    assert data["facets_missing"] == {"author": 1}  # 3 + 1: every match counted once

    # Facets respect the filters too, and a facet value works as the filter it names.
    r = client.get("/api/v1/search", params={"q": "talks", "source": "Reuters", "facets": "year"})
    assert r.json()["facets"] == {
        "year": [{"value": "2021", "count": 2}, {"value": "2022", "count": 1}]
    }
    assert "facets_missing" not in r.json()  # only beside a source or author facet
    # Without the parameters the envelope is unchanged.
    assert "facets" not in client.get("/api/v1/search", params={"q": "talks"}).json()


def test_bad_facet_or_histogram_is_400(client: TestClient, auth: dict[str, str]) -> None:
    _load(client, auth)
    for params in ({"facets": "source,colour"}, {"histogram": "fortnight"}):
        r = client.get("/api/v1/search", params={"q": "talks", **params})
        assert r.status_code == 400, r.text
        assert r.json()["error"]["code"] and next(iter(params)) in r.json()["error"]["message"]
    # Day buckets over decades would be a huge answer: refused, months are fine.
    post_json(client, auth, date="1990-01-02", body="Budget talks of long ago.")
    r = client.get("/api/v1/search", params={"q": "talks", "histogram": "day"})
    assert r.status_code == 400 and "histogram" in r.json()["error"]["message"]
    r = client.get("/api/v1/search", params={"q": "talks", "histogram": "auto"})
    assert r.json()["histogram"]["interval"] == "year"


def test_compare_queries_over_time(client: TestClient, auth: dict[str, str]) -> None:
    # May: 4 articles, 2 about budget; August: 1 article, about budget and rail.
    for date, body in [
        ("2021-05-01", "Budget talks resumed."),
        ("2021-05-03", "Budget talks stalled."),
        ("2021-05-04", "Rail strike called off."),
        ("2021-05-05", "Weather was fine."),
        ("2021-08-09", "Budget passed as the rail strike began."),
    ]:
        post_json(client, auth, date=date, body=body, title=body[:12])
    params = [("q", "budget"), ("q", "rail"), ("interval", "month")]
    r = client.get("/api/v1/search/histogram", params=params)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["interval"] == "month"
    assert [p["key"] for p in data["periods"]] == ["2021-05", "2021-06", "2021-07", "2021-08"]
    assert [p["articles"] for p in data["periods"]] == [4, 0, 0, 1]
    budget, rail = data["series"]
    assert (budget["q"], budget["total"], budget["counts"]) == ("budget", 3, [2, 0, 0, 1])
    # Normalised: half of May's articles, all of August's; no articles, no share.
    assert budget["shares"] == [0.5, None, None, 1.0]
    assert rail["counts"] == [1, 0, 0, 1] and rail["shares"] == [0.25, None, None, 1.0]

    r = client.get("/api/v1/search/histogram", params=[*params, ("format", "csv")])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.splitlines()
    assert lines[0] == "period,start,end,articles,q1_count,q1_share,q2_count,q2_share"
    assert lines[1] == "2021-05,2021-05-01,2021-05-31,4,2,0.5,1,0.25"
    assert r.headers["x-queries"] == "q1 = budget; q2 = rail"

    for bad in ([], [("q", "a"), ("q", "b"), ("q", "c"), ("q", "d")], [("q", '"open')]):
        r = client.get("/api/v1/search/histogram", params=bad)
        assert r.status_code == 400 and "error" in r.json(), (bad, r.text)
