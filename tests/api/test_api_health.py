"""Health that machines can read, and write errors that name their cause (issue 17, D18)."""

from __future__ import annotations

import errno
from collections import namedtuple
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from app.services import storage

Usage = namedtuple("Usage", "total used free")


def test_health_is_ok_and_200_on_a_sound_archive(client: TestClient) -> None:
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok" and r.json()["problems"] == []


def test_a_full_disk_answers_503_and_names_it(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage.shutil, "disk_usage", lambda path: Usage(10**9, 10**9, 1024))
    r = client.get("/api/v1/health")
    assert r.status_code == 503 and r.json()["status"] == "unavailable"
    assert [p["code"] for p in r.json()["problems"]] == ["disk_full"]


def test_a_read_only_folder_answers_503_and_names_it(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Path.write_bytes

    def refuse(self: Path, data: bytes) -> int:
        if self.name.startswith(".write-probe-"):
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", refuse)
    r = client.get("/api/v1/health")
    assert r.status_code == 503
    assert [p["code"] for p in r.json()["problems"]] == ["read_only"]


def test_an_index_behind_is_degraded_but_serving(
    client: TestClient, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = client.app.state.archive  # type: ignore[attr-defined]
    monkeypatch.setattr(archive.search, "upsert", lambda docs: (_ for _ in ()).throw(OSError()))
    r = client.post("/api/v1/articles", headers=auth, json={"date": "2021-01-01", "body": "x y"})
    assert r.status_code == 201  # stored; the outbox keeps the index work
    r = client.get("/api/v1/health")
    assert r.status_code == 200 and r.json()["status"] == "degraded"
    assert [p["code"] for p in r.json()["problems"]] == ["index_behind"]


def test_a_write_to_a_full_database_is_507_with_the_envelope(
    client: TestClient, auth: dict[str, str]
) -> None:
    engine = client.app.state.archive.engine  # type: ignore[attr-defined]

    @event.listens_for(engine, "connect")
    def tiny(dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
        # SQLite's own "database or disk is full", for real: no more pages than it has now.
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    engine.dispose()
    body = "A long story about harbours. " * 4000
    r = client.post("/api/v1/articles", headers=auth, json={"date": "2021-01-01", "body": body})
    assert r.status_code == 507, r.text
    assert r.json()["error"]["code"] == "disk_full"


def test_a_write_to_a_read_only_database_is_503_with_the_envelope(
    client: TestClient, auth: dict[str, str]
) -> None:
    engine = client.app.state.archive.engine  # type: ignore[attr-defined]

    @event.listens_for(engine, "connect")
    def read_only(dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
        # SQLite's own "attempt to write a readonly database", as from a read-only mount.
        dbapi_connection.execute("PRAGMA query_only = ON")

    engine.dispose()
    r = client.post("/api/v1/articles", headers=auth, json={"date": "2021-01-01", "body": "a b"})
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == "read_only"
