"""The Atom feed of a search."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from fastapi.testclient import TestClient
from markupsafe import escape

from tests.api.test_api import post_json, post_seed

A = "{http://www.w3.org/2005/Atom}"


def test_search_feed_is_atom_newest_first(client: TestClient, auth: dict[str, str]) -> None:
    post_seed(client, auth)
    for date in ("2021-05-01", "2022-03-09", "2020-01-02"):
        post_json(
            client,
            auth,
            date=date,
            title=f"Talks <& {date}>",
            body=f"Budget talks on {date}.",
            authors=["Ann Lee"],
        )
    r = client.get("/feeds/search.atom", params={"q": "budget", "sort": "oldest"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(r.content)
    assert feed.tag == f"{A}feed" and feed.findtext(f"{A}title") == "News Archive: budget"
    entries = feed.findall(f"{A}entry")
    # Newest first whatever the sort asked for; titles escaped and read back intact.
    assert [e.findtext(f"{A}title") for e in entries] == [
        "Talks <& 2022-03-09>",
        "Talks <& 2021-05-01>",
        "Talks <& 2020-01-02>",
    ]
    # One Atom writer for every feed: the feed changed when its latest entry did.
    assert feed.findtext(f"{A}updated") == max(e.findtext(f"{A}updated") for e in entries)
    first = entries[0]
    assert first.find(f"{A}link").get("href").startswith("http://testserver/articles/")
    assert first.findtext(f"{A}author/{A}name") == "Ann Lee"
    assert "Budget talks" in first.findtext(f"{A}summary")


def test_feed_with_a_bad_query_is_400(client: TestClient) -> None:
    assert client.get("/feeds/search.atom", params={"q": '"unclosed OR'}).status_code == 400


def test_search_help_examples_all_run(client: TestClient, auth: dict[str, str]) -> None:
    from app.web.help import EXAMPLES

    post_seed(client, auth)
    page = client.get("/help/search")
    assert page.status_code == 200
    for q, _ in EXAMPLES:
        assert "<code>" + str(escape(q)) + "</code>" in page.text
        r = client.get("/search", params={"q": q})
        assert r.status_code == 200, (q, r.text)
    # The seed article answers the examples it can.
    assert client.get("/api/v1/search", params={"q": '"de-escalation"'}).json()["total"] == 1
    assert client.get("/api/v1/search", params={"q": "diplom*"}).json()["total"] == 1
