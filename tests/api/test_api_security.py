"""Tokens (hashed, named, scoped; CLI), read protection, rate limits, CORS, request ids."""

from __future__ import annotations

import logging
import sqlite3

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from app.archive import open_archive
from app.cli.commands import main
from app.config import Settings
from app.http.ratelimit import RateLimiter
from app.main import create_app
from app.services.tokens import create_token, hash_token

BODY = {"date": "2021-01-01", "body": "Token test text."}


def cli(settings: Settings, *args: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), *args])
    return r.exit_code, r.output


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_cli_tokens_create_list_revoke(settings: Settings) -> None:
    code, out = cli(settings, "tokens", "create", "newsroom-bot", "--scope", "write")
    assert code == 0, out
    token = out.splitlines()[0]
    assert token.startswith("na_") and len(token) > 40
    # only the hash is stored
    db = sqlite3.connect(settings.data_dir / "archive.db")
    stored = db.execute("select name, token_hash, scope from api_tokens").fetchall()
    assert stored == [("newsroom-bot", hash_token(token), "write")]
    assert token not in (settings.data_dir / "archive.db").read_bytes().decode("latin-1")
    code, out = cli(settings, "tokens", "create", "newsroom-bot")
    assert code != 0 and "already exists" in out
    code, out = cli(settings, "tokens", "list")
    assert "newsroom-bot" in out and "write" in out and "active" in out and token not in out
    with TestClient(create_app(settings)) as c:
        assert c.post("/api/v1/articles", json=BODY, headers=bearer(token)).status_code == 201
        code, out = cli(settings, "tokens", "list", "--json")
        assert '"last_used_at": null' not in out
        assert cli(settings, "tokens", "revoke", "newsroom-bot")[0] == 0
        r = c.post("/api/v1/articles", json=BODY, headers=bearer(token))
        assert r.status_code == 403 and r.json()["error"]["code"] == "invalid_token"
    assert "revoked" in cli(settings, "tokens", "list")[1]
    code, out = cli(settings, "tokens", "revoke", "nobody")
    assert code != 0 and "no token named" in out


def test_scopes(settings: Settings) -> None:
    archive = open_archive(settings)
    _, reader = create_token(archive, name="dashboard", scope="read")
    _, writer = create_token(archive, name="importer", scope="write")
    archive.close()
    with TestClient(create_app(settings)) as c:
        r = c.post("/api/v1/articles", json=BODY, headers=bearer(reader))
        assert r.status_code == 403 and r.json()["error"]["code"] == "insufficient_scope"
        r = c.post("/api/v1/articles", json=BODY, headers=bearer(writer))
        assert r.status_code == 201
        article = r.json()["links"]["self"]
        assert c.get(article, headers=bearer(reader)).status_code == 200
        assert c.delete(article, headers=bearer(reader)).status_code == 403
        assert c.get(article, headers=bearer("na_forged")).status_code == 403
        assert c.delete(article, headers=bearer(writer)).status_code == 204


def test_writes_enabled_by_stored_token_alone(settings: Settings) -> None:
    no_env = settings.model_copy(update={"api_token": None})
    with TestClient(create_app(no_env)) as c:
        r = c.post("/api/v1/articles", json=BODY)
        assert r.status_code == 403 and r.json()["error"]["code"] == "writes_disabled"
        archive = open_archive(settings)
        _, writer = create_token(archive, name="w", scope="write")
        archive.close()
        assert c.post("/api/v1/articles", json=BODY).status_code == 401
        assert c.post("/api/v1/articles", json=BODY, headers=bearer(writer)).status_code == 201


def test_reads_can_require_a_token(settings: Settings, auth: dict[str, str]) -> None:
    archive = open_archive(settings)
    _, reader = create_token(archive, name="r", scope="read")
    archive.close()
    closed = settings.model_copy(update={"read_requires_token": True})
    with TestClient(create_app(closed)) as c:
        for path in ["/api/v1/search?q=x", "/api/v1/articles", "/api/v1/stats", "/api/v1/sources"]:
            r = c.get(path)
            assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized", path
            assert c.get(path, headers=bearer(reader)).status_code == 200
            assert c.get(path, headers=auth).status_code == 200
        assert c.get("/api/v1/articles/1").status_code == 401
        assert c.get("/api/v1/health").status_code == 200  # monitoring stays open


def test_rate_limit_on_writes_and_searches(settings: Settings, auth: dict[str, str]) -> None:
    tight = settings.model_copy(
        update={
            "rate_limit_writes": 1,
            "rate_limit_write_burst": 2,
            "rate_limit_searches": 2,
            "rate_limit_search_burst": 3,
        }
    )
    with TestClient(create_app(tight)) as c:
        codes = [
            c.post("/api/v1/articles", json={**BODY, "body": f"t{i}"}, headers=auth).status_code
            for i in range(3)
        ]
        assert codes == [201, 201, 429]
        r = c.post("/api/v1/articles", json={**BODY, "body": "t9"}, headers=auth)
        assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(r.headers["retry-after"]) <= 60
        # searches with a query are limited; listing is not
        codes = [c.get("/api/v1/search", params={"q": "t"}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert c.get("/api/v1/articles").status_code == 200
        assert c.get("/api/v1/search").status_code == 200  # no query: cheap
    with TestClient(create_app(tight)) as c:
        # a prefix search costs 5 plain ones: it empties a full bucket on its own
        assert c.get("/api/v1/search", params={"q": "diplom*"}).status_code == 200
        r = c.get("/api/v1/search", params={"q": "plain"})
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 20


def test_token_bucket_refills() -> None:
    now = [0.0]
    limiter = RateLimiter({"write": (60.0, 2)}, clock=lambda: now[0])
    assert [limiter.hit("write", "a") for _ in range(2)] == [0.0, 0.0]
    wait = limiter.hit("write", "a")
    assert wait == pytest.approx(1.0)
    assert limiter.hit("write", "b") == 0.0  # per caller
    now[0] = 1.0
    assert limiter.hit("write", "a") == 0.0
    assert RateLimiter({"write": (0.0, 0)}).hit("write", "a") == 0.0  # 0 = off


def test_cors_is_off_by_default_and_configurable(settings: Settings) -> None:
    with TestClient(create_app(settings)) as c:
        r = c.get("/api/v1/health", headers={"Origin": "https://tools.example"})
        assert "access-control-allow-origin" not in r.headers
    opened = settings.model_copy(update={"cors_origins": "https://tools.example, http://x.test"})
    with TestClient(create_app(opened)) as c:
        r = c.get("/api/v1/health", headers={"Origin": "https://tools.example"})
        assert r.headers["access-control-allow-origin"] == "https://tools.example"
        r = c.options(
            "/api/v1/articles",
            headers={
                "Origin": "http://x.test",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert r.status_code == 200 and "POST" in r.headers["access-control-allow-methods"]
        r = c.get("/api/v1/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers


def test_request_ids_in_responses_and_log(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="newsarchive.http"):
        r = client.get("/api/v1/health", headers={"X-Request-ID": "abc-123"})
        assert r.headers["x-request-id"] == "abc-123"
        generated = client.get("/api/v1/articles/999").headers["x-request-id"]
        assert len(generated) == 32 and generated != "abc-123"
        bad = client.get("/api/v1/health", headers={"X-Request-ID": "x" * 500}).headers
        assert bad["x-request-id"] != "x" * 500
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "newsarchive.http"]
    assert any(line.startswith("abc-123 GET /api/v1/health 200") for line in lines)
    assert any(line.startswith(f"{generated} GET /api/v1/articles/999 404") for line in lines)


def test_request_id_and_envelope_on_middleware_and_method_errors(
    settings: Settings, auth: dict[str, str]
) -> None:
    small = settings.model_copy(update={"max_request_bytes": 100})
    with TestClient(create_app(small)) as c:
        r = c.post(
            "/api/v1/articles",
            content=b"x" * 500,
            headers={**auth, "Content-Type": "text/plain", "X-Request-ID": "req-413"},
        )
        assert r.status_code == 413 and r.headers["x-request-id"] == "req-413"
        r = c.post("/api/v1/stats", headers={"X-Request-ID": "req-405"})
        assert r.status_code == 405 and r.headers["x-request-id"] == "req-405"
        assert r.json()["error"]["code"] == "method_not_allowed"
