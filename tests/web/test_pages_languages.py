"""The search page's language facet and filter."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient

from tests.api.test_api import post_json
from tests.multilingual import fixtures


def test_language_facet_links_filter_and_chip(client: TestClient, auth: dict[str, str]) -> None:
    for i, f in enumerate(fixtures()):
        post_json(client, auth, title=f.title, body=f.body, date=f"2024-01-{i + 1:02d}")
    page = html.unescape(client.get("/search", params={"q": "", "sort": "newest"}).text)
    assert "<h2>Language</h2>" in page
    assert 'href="/search?sort=newest&lang=de" class="facet">German (de)</a>' in page
    narrowed = client.get("/search", params={"sort": "newest", "lang": "de"}).text
    assert "Language: de" in narrowed
    titles = [f.title for f in fixtures()]
    shown = [t for t in titles if html.escape(t) in narrowed or t in narrowed]
    assert sorted(shown) == sorted(f.title for f in fixtures() if f.lang == "de")
