"""A lost or damaged index is rebuilt when the server starts; until then searches answer 503,
never a silently empty result (issue 17, A3)."""

from __future__ import annotations

import shutil
import time

from fastapi.testclient import TestClient

from app.archive import open_archive
from app.config import Settings
from app.main import create_app
from app.services.index_sync import hold_if_disagreeing, index_disagreement
from tests.factories import add, make_item


def fill(settings: Settings, n: int = 40) -> None:
    archive = open_archive(settings)
    try:
        add(
            archive, *[make_item(f"Story {i} about harbour cranes, word qx{i}y.") for i in range(n)]
        )
    finally:
        archive.close()


def wait_ok(client: TestClient) -> None:
    deadline = time.monotonic() + 60
    while client.get("/api/v1/health").json()["status"] != "ok":
        assert time.monotonic() < deadline, client.get("/api/v1/health").json()
        time.sleep(0.05)


def test_a_lost_index_is_rebuilt_at_start_and_never_serves_empty(settings: Settings) -> None:
    fill(settings)
    shutil.rmtree(settings.resolved_index_dir())
    with TestClient(create_app(settings)) as client:
        r = client.get("/api/v1/search", params={"q": "harbour"})
        # Either the rebuild is still running (503, saying so) or it is done (every article).
        if r.status_code == 503:
            assert r.json()["error"]["code"] == "search_unavailable"
            assert "rebuilt" in r.json()["error"]["message"]
        else:
            assert r.status_code == 200 and r.json()["total"] == 40
        wait_ok(client)
        assert client.get("/api/v1/search", params={"q": "harbour"}).json()["total"] == 40


def test_an_emptied_index_is_a_disagreement_a_lagging_one_is_not(settings: Settings) -> None:
    fill(settings)
    archive = open_archive(settings)
    try:
        assert index_disagreement(archive) is None
        archive.search.clear()
        assert "holds 0 of the database's 40 articles" in (index_disagreement(archive) or "")
    finally:
        archive.close()
    with TestClient(create_app(settings)) as client:
        wait_ok(client)
        assert client.get("/api/v1/search", params={"q": "qx7y"}).json()["total"] == 1


def test_searches_answer_503_while_held(settings: Settings) -> None:
    fill(settings, 3)
    with TestClient(create_app(settings)) as client:
        wait_ok(client)
        client.app.state.archive.search.hold("rebuilding for a test")  # type: ignore[attr-defined]
        r = client.get("/api/v1/search", params={"q": "harbour"})
        assert r.status_code == 503 and r.json()["error"]["message"] == "rebuilding for a test"
        health = client.get("/api/v1/health")
        assert health.status_code == 503
        assert health.json()["problems"][0]["code"] == "index_rebuilding"


def test_a_held_archive_states_its_reason_once(settings: Settings) -> None:
    """The server holds searches at start-up and checks again before rebuilding: the second look
    sees its own hold, and the message must not nest inside itself."""
    fill(settings)
    archive = open_archive(settings)
    try:
        archive.search.clear()
        hold_if_disagreeing(archive)
        hold_if_disagreeing(archive)
        detail = archive.search.health().detail or ""
        assert detail.count("being rebuilt") == 1, detail
        assert "holds 0 of the database's 40 articles" in detail
    finally:
        archive.search.hold(None)
        archive.close()
