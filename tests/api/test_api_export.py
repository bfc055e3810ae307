"""GET /api/v1/search/export: every match streamed as NDJSON or CSV."""

from __future__ import annotations

import csv
import io
import json

from fastapi.testclient import TestClient

from app.services import search_export
from tests.api.test_api import post_json, post_seed


def test_export_streams_every_match(
    client: TestClient, auth: dict[str, str], monkeypatch: object
) -> None:
    post_seed(client, auth)
    for i in range(7):
        post_json(
            client,
            auth,
            date=f"2021-05-{i + 1:02d}",
            source="Reuters",
            title=f"Budget, part {i}",
            body=f'Budget talks, day {i}.\n\nA second "quoted" paragraph, with commas.',
            authors=["Ann Lee", "Bo Chan"],
        )
    post_json(client, auth, body="Nothing to do with it.", title="Other")
    # Batches smaller than the result set: the stream must still carry everything, in order.
    monkeypatch.setattr(search_export, "BATCH", 3)  # type: ignore[attr-defined]

    r = client.get("/api/v1/search/export", params={"q": "budget", "sort": "oldest"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert r.headers["x-total-count"] == "7"
    rows = [json.loads(line) for line in r.text.splitlines()]
    assert [row["title"] for row in rows] == [f"Budget, part {i}" for i in range(7)]
    assert rows[0]["authors"] == ["Ann Lee", "Bo Chan"] and "second" in rows[0]["body"]

    r = client.get(
        "/api/v1/search/export", params={"q": "budget", "format": "csv", "sort": "newest"}
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert len(table) == 7 and table[0]["date"] == "2021-05-07"
    assert table[0]["authors"] == "Ann Lee; Bo Chan"
    assert table[0]["body"].endswith('A second "quoted" paragraph, with commas.')

    # Nothing matching: an empty stream (CSV keeps its header).
    r = client.get("/api/v1/search/export", params={"q": "zebra", "format": "csv"})
    assert r.status_code == 200 and r.text.strip() == ",".join(search_export.CSV_COLUMNS)


def test_export_errors_come_before_the_stream(client: TestClient) -> None:
    for params in (
        {"format": "xml"},
        {"q": '"unclosed OR'},
        {"q": "x", "from": "2022", "to": "2021"},
    ):
        r = client.get("/api/v1/search/export", params=params)
        assert r.status_code == 400, (params, r.text)
        assert "error" in r.json()


def test_search_pages_carry_a_link_next_header(client: TestClient, auth: dict[str, str]) -> None:
    for i in range(3):
        post_json(client, auth, body=f"Harbour story number {i}.", title=f"Harbour {i}")
    r = client.get("/api/v1/search", params={"q": "harbour", "page_size": 2, "page": 1})
    link = r.headers["link"]
    assert link.endswith('>; rel="next"') and "cursor=" in link and "page=" not in link
    following = client.get(link[1 : link.index(">")].removeprefix("http://testserver"))
    assert following.status_code == 200 and len(following.json()["results"]) == 1
    assert "link" not in following.headers
