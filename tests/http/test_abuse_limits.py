"""Rate limits without gaps: the HTML search page, failed token attempts, X-Forwarded-For only
from configured proxies, and no too-short API token."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.cli.commands import main
from app.config import Settings
from app.http.proxies import forwarded_client, parse_networks
from app.main import create_app

BODY = {"date": "2021-01-01", "body": "Rate limit text."}


def test_the_html_search_page_is_limited(settings: Settings) -> None:
    tight = settings.model_copy(update={"rate_limit_pages": 1, "rate_limit_page_burst": 2})
    with TestClient(create_app(tight)) as c:
        assert [c.get("/search", params={"q": "x"}).status_code for _ in range(2)] == [200, 200]
        r = c.get("/search", params={"q": "y"})
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert "text/html" in r.headers["content-type"]
        assert c.get("/search").status_code == 200  # the empty form costs no search


def test_failed_token_attempts_are_limited(settings: Settings, auth: dict[str, str]) -> None:
    tight = settings.model_copy(
        update={"rate_limit_auth_failures": 1, "rate_limit_auth_failure_burst": 3}
    )
    wrong = {"Authorization": "Bearer na_wrong-guess-0000000000"}
    with TestClient(create_app(tight)) as c:
        codes = [c.post("/api/v1/articles", json=BODY, headers=wrong).status_code for _ in range(4)]
        assert codes == [403, 403, 403, 429]
        # once they run out, even the right token waits: guessing gains nothing
        r = c.post("/api/v1/articles", json=BODY, headers=auth)
        assert r.status_code == 429 and "failed token attempts" in r.json()["error"]["message"]
        r = c.post("/imports", data={"token": "another-guess"}, files=[("files", ("a.txt", b"x"))])
        assert r.status_code == 429
    # another address is not held back by this one's failures
    with TestClient(create_app(tight), client=("10.1.2.3", 5000)) as other:
        assert other.post("/api/v1/articles", json=BODY, headers=auth).status_code == 201


def test_forwarded_for_counts_only_from_trusted_proxies(settings: Settings) -> None:
    nets = parse_networks(["10.0.0.0/8", "::1"])
    assert forwarded_client("203.0.113.9", "1.2.3.4", nets) == "203.0.113.9"  # not a proxy
    assert forwarded_client("10.0.0.2", "spoofed, 198.51.100.7", nets) == "198.51.100.7"
    assert forwarded_client("10.0.0.2", "198.51.100.7, 10.0.0.3", nets) == "198.51.100.7"
    with pytest.raises(ValueError, match="not an address"):
        parse_networks(["proxy.example"])

    tight = settings.model_copy(
        update={
            "rate_limit_searches": 1,
            "rate_limit_search_burst": 1,
            "trusted_proxies": "10.0.0.0/8",
        }
    )

    def search(c: TestClient, forwarded: str) -> int:
        r = c.get("/api/v1/search", params={"q": "x"}, headers={"X-Forwarded-For": forwarded})
        return r.status_code

    # a client that is not a proxy cannot reset its bucket with a new header per request
    with TestClient(create_app(tight), client=("203.0.113.9", 1000)) as c:
        assert [search(c, f"192.0.2.{i}") for i in range(3)] == [200, 429, 429]
    # behind the proxy, each real client has its own bucket
    with TestClient(create_app(tight), client=("10.0.0.2", 1000)) as c:
        assert [search(c, "192.0.2.1"), search(c, "192.0.2.2"), search(c, "192.0.2.1")] == [
            200,
            200,
            429,
        ]


def test_serve_leaves_forwarded_headers_to_the_app() -> None:
    import inspect

    from app.cli import commands

    # uvicorn trusts X-Forwarded-For from 127.0.0.1 by default; serve turns that off
    assert inspect.getsource(commands).count("proxy_headers=False") == 2


def test_a_short_api_token_is_refused_at_start_up(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValidationError, match="too short"):
        Settings(api_token="x")  # type: ignore[arg-type]
    monkeypatch.setenv("NEWSARCHIVE_API_TOKEN", "short-token")
    r = CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "stats"])
    assert r.exit_code != 0
    assert "NEWSARCHIVE_API_TOKEN is too short (11 characters): use at least 16" in r.output
    assert "Traceback" not in r.output
    monkeypatch.setenv("NEWSARCHIVE_API_TOKEN", "long-enough-token-1234")
    assert Settings().api_token is not None
