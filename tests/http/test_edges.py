"""Responses and headers at the edge: user text never breaks or bloats a header, security
headers on every response, the Host header is not trusted, HEAD works wherever GET does."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.http.headers import content_disposition, header_text, link_header
from app.main import create_app


@pytest.fixture
def seeded(client: TestClient, auth: dict[str, str], seed_text: str) -> int:
    r = client.post(
        "/api/v1/articles", content=seed_text, headers={**auth, "Content-Type": "text/plain"}
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


# -- B5: user text in headers, and how much of it is echoed -------------------------------------


def test_a_carriage_return_in_q_never_reaches_a_header(client: TestClient) -> None:
    r = client.get(
        "/api/v1/search/histogram", params={"q": "a\rb\nSet-Cookie: x=1", "format": "csv"}
    )
    assert r.status_code == 200
    legend = r.headers["x-queries"]
    assert "\r" not in legend and "\n" not in legend and "set-cookie" not in r.headers
    assert legend == "q1 = a%0Db%0ASet-Cookie: x=1"


def test_header_helpers_encode_and_bound() -> None:
    assert header_text("caf\u00e9 100%") == "caf%C3%A9 100%25"
    long = header_text("\u00e9" * 5000)
    assert len(long) <= 4096 and long.endswith("...") and "%C3%A9..." in long
    assert content_disposition("search.csv") == 'attachment; filename="search.csv"'
    assert content_disposition("r\u00e9sum\u00e9\r\n.csv", inline=True) == (
        "inline; filename=\"r_sum___.csv\"; filename*=UTF-8''r%C3%A9sum%C3%A9%0D%0A.csv"
    )
    assert link_header("/x?a=" + "b" * 5000, "next") is None
    assert link_header("/x?a=\r", "next") is None


def test_a_long_query_is_refused_not_echoed(client: TestClient) -> None:
    huge = "a" * 60_000  # the whole URL is over the query-string limit
    r = client.get("/search", params={"q": huge})
    assert r.status_code == 414 and r.json()["error"]["code"] == "uri_too_long"
    long = "word " * 1000  # 5,000 characters: under the URL limit, over the query limit
    r = client.get("/api/v1/search", params={"q": long})
    assert r.status_code == 400 and r.json()["error"]["param"] == "q"
    assert "link" not in r.headers and len(r.content) < 1000
    r = client.get("/search", params={"q": long})
    assert r.status_code == 400 and "too long" in r.text
    assert len(r.content) < 30_000 and long not in r.text
    r = client.get("/api/v1/search/histogram", params={"q": long})
    assert r.status_code == 400
    r = client.get("/compare", params={"q": long})
    assert r.status_code == 400 and len(r.content) < 30_000
    r = client.get("/api/v1/search", params={"source": "s" * 400})
    assert r.status_code == 400 and r.json()["error"]["param"] == "source"


# -- B6: security headers -----------------------------------------------------------------------

PATHS = ["/", "/search?q=x", "/static/style.css", "/api/v1/health", "/no/such/page", "/robots.txt"]


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    r = client.get(path)
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "strict-transport-security" not in r.headers  # plain http: no HSTS


def test_refusals_carry_them_too(client: TestClient) -> None:
    r = client.post("/api/v1/articles", content=b"x" * (11 * 1024 * 1024))
    assert r.status_code == 413 and "content-security-policy" in r.headers


def test_hsts_only_when_the_public_url_is_https(settings: Settings) -> None:
    settings.base_url = "https://news.example.org"
    with TestClient(create_app(settings)) as c:
        r = c.get("/")
        assert r.headers["strict-transport-security"].startswith("max-age=")


def test_the_api_docs_page_has_the_same_strict_policy(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    assert not re.findall(r"<script>(.*?)</script>", r.text, re.S)  # no inline script at all
    csp = r.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "https:" not in csp  # nothing from elsewhere: the Swagger assets are local


def test_templates_hold_no_inline_script_or_style() -> None:
    from app.http.templating import TEMPLATE_DIR

    for path in TEMPLATE_DIR.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\b(src=|type=\"application/ld\+json\"))", text), path
        assert not re.search(r"\son[a-z]+\s*=", text), path
        assert "style=" not in text and "<style" not in text, path


# -- B7: the Host header ------------------------------------------------------------------------


def test_an_unknown_host_is_refused(client: TestClient, seeded: int) -> None:
    for path in ("/", "/opensearch.xml", "/feeds/latest.atom", f"/articles/{seeded}", "/browse/"):
        r = client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
        assert r.status_code == 400, path
        assert "evil.example" not in r.text
    assert client.get("/", headers={"Host": "localhost:8000"}).status_code == 200
    assert client.get("/", headers={"Host": "127.0.0.1:8000"}).status_code == 200


def test_links_use_the_public_url_and_its_host_is_allowed(settings: Settings) -> None:
    settings.base_url = "https://news.example.org/"
    settings.allowed_hosts = "*.proxy.internal"
    with TestClient(create_app(settings)) as c:
        for host in ("news.example.org", "a.proxy.internal"):
            r = c.get("/opensearch.xml", headers={"Host": host})
            assert r.status_code == 200, host
            assert "https://news.example.org/search" in r.text and host not in r.text.replace(
                "news.example.org", ""
            )
        assert c.get("/", headers={"Host": "evil.example"}).status_code == 400
        # the trailing-slash redirect too goes to the public address, not the proxy's hop
        r = c.get("/browse/?x=1", headers={"Host": "a.proxy.internal"}, follow_redirects=False)
        assert r.status_code in (301, 307, 308)
        assert r.headers["location"] == "https://news.example.org/browse?x=1"


# -- B8: HEAD -----------------------------------------------------------------------------------


def test_every_get_route_answers_head(client: TestClient, seeded: int) -> None:
    from fastapi.routing import APIRoute

    paths = {"/", "/search?q=russia", f"/articles/{seeded}", "/static/style.css"}
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and "GET" in route.methods and "{" not in route.path:
            paths.add(route.path)
    for path in sorted(paths):
        got = client.get(path, follow_redirects=False)
        head = client.head(path, follow_redirects=False)
        assert head.status_code == got.status_code, path
        assert head.content == b"", path
        assert head.headers.get("content-type") == got.headers.get("content-type"), path
    assert client.head("/api/v1/search/export?q=russia&format=csv").status_code == 200
    spec_paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert all("head" not in methods for methods in spec_paths.values())
