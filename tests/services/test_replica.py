"""NEWSARCHIVE_READ_DATABASE_URL: searches and page reads go to the replica, writes to the primary,
and /api/v1/health reports the replica. A real streaming replica is exercised end to end by
scripts/replica-test (tests/test_replica_script.py); these tests pin the routing with a replica
URL that cannot answer, and with one that is the primary itself."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.archive import open_archive
from app.config import Settings
from app.main import create_app
from tests.conftest import SEED

# Nothing listens on port 1 of this machine: the connection is refused at once.
UNREACHABLE_PORT = 1


def _unreachable(url: str) -> str:
    return make_url(url).set(port=UNREACHABLE_PORT).render_as_string(hide_password=False)


def _post_seed(client: TestClient, auth: dict[str, str]) -> tuple[dict, str]:
    r = client.post(
        "/api/v1/articles",
        content=SEED.read_bytes(),
        headers={**auth, "Content-Type": "text/plain; charset=utf-8"},
    )
    assert r.status_code == 201, r.text
    return r.json(), r.headers["ETag"]


def test_a_replica_needs_a_postgresql_primary(settings: Settings) -> None:
    with pytest.raises(ValueError, match="needs a PostgreSQL primary"):
        open_archive(settings.model_copy(update={"read_database_url": "postgresql://x@h/db"}))


def test_no_replica_no_replica_field(client: TestClient) -> None:
    data = client.get("/api/v1/health").json()
    assert data["status"] == "ok" and data["replica"] is None


@pytest.mark.postgres
def test_reads_go_to_the_replica_and_writes_to_the_primary(
    pg_settings: Settings, pg_url: str, auth: dict[str, str]
) -> None:
    down = pg_settings.model_copy(update={"read_database_url": _unreachable(pg_url)})
    with TestClient(create_app(down)) as client:
        # The write reaches the primary although the replica is down...
        article, etag = _post_seed(client, auth)
        # ...and so does an update with its read-your-writes check (If-Match on the primary).
        r = client.patch(
            article["links"]["self"], json={"source": "CNN"}, headers={**auth, "If-Match": etag}
        )
        assert r.status_code == 200, r.text
        stale = client.patch(
            article["links"]["self"], json={"source": "BBC"}, headers={**auth, "If-Match": etag}
        )
        assert stale.status_code == 412, stale.text
        # Searches and page reads go to the replica: a clear 503 naming the server, not a 500.
        for path, params in [
            ("/api/v1/search", {"q": "henhouse"}),
            ("/api/v1/articles", {}),
            (article["links"]["self"], {}),
        ]:
            r = client.get(path, params=params)
            assert r.status_code == 503, (path, r.text)
            error = r.json()["error"]
            assert error["code"] == "database_unavailable"
            assert f"port {UNREACHABLE_PORT}" in error["message"]
        health = client.get("/api/v1/health")
        assert health.status_code == 200
        data = health.json()
        assert data["status"] == "degraded" and data["articles"] == 1
        assert data["replica"]["reachable"] is False
        assert f"port {UNREACHABLE_PORT}" in data["replica"]["error"]


@pytest.mark.postgres
def test_health_reports_a_replica_that_is_not_streaming(
    pg_settings: Settings, pg_url: str, auth: dict[str, str]
) -> None:
    # The "replica" is the primary itself: reads work, and health says nothing streams into it.
    same = pg_settings.model_copy(update={"read_database_url": pg_url})
    with TestClient(create_app(same)) as client:
        article, _ = _post_seed(client, auth)
        assert client.get("/api/v1/search", params={"q": "henhouse"}).json()["total"] == 1
        assert client.get(article["links"]["self"]).status_code == 200
        data = client.get("/api/v1/health").json()
        assert data["status"] == "ok" and data["in_sync"] is True
        assert data["replica"] == {
            "reachable": True,
            "streaming": False,
            "lag_bytes": 0,
            "lag_seconds": 0.0,
        }
