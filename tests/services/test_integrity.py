"""Database and index never disagree for long: concurrent writers, crashes, the outbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.archive import Archive, open_archive
from app.config import Settings
from app.main import create_app
from app.models import IndexOutbox
from app.services.counts import count_articles
from app.services.index_sync import check
from app.services.stats import health
from tests.factories import add, make_item

ROOT = Path(__file__).resolve().parents[2]


def write_files(folder: Path, prefix: str, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"{prefix}{i:04d}.txt").write_text(
            f"date 2020-{i % 12 + 1:02d}-{i % 28 + 1:02d}\ntitle {prefix} story {i}\n\n"
            f"Paragraph about {prefix} number {i} and the harbour economy.\n",
            encoding="utf-8",
        )
    return folder


def cli(settings: Settings, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "NEWSARCHIVE_DATA_DIR": str(settings.data_dir),
        "NEWSARCHIVE_DATABASE_URL": settings.database_url or "",
        "NEWSARCHIVE_SEARCH_BACKEND": settings.search_backend,
        "NEWSARCHIVE_WRITE_LOCK_TIMEOUT": "60",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli.commands", *args],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.fixture(params=["whoosh", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """The default setup (SQLite + Whoosh), and the same archive on PostgreSQL."""
    if request.param == "postgres":
        return request.getfixturevalue("pg_settings")  # type: ignore[no-any-return]
    return settings


def test_two_imports_and_api_writes_at_once(
    any_settings: Settings, tmp_path: Path, auth: dict[str, str]
) -> None:
    settings = any_settings
    a = write_files(tmp_path / "a", "alpha", 60)
    b = write_files(tmp_path / "b", "beta", 60)
    procs = [
        cli(settings, "import", "--quiet", "--batch-size", "10", str(a)),
        cli(settings, "import", "--quiet", "--batch-size", "10", str(b)),
    ]
    statuses: list[int] = []
    with TestClient(create_app(settings)) as client:

        def post(i: int) -> None:
            r = client.post(
                "/api/v1/articles",
                headers=auth,
                json={"date": "2021-01-01", "body": f"API story {i} on the harbour."},
            )
            statuses.append(r.status_code)

        threads = [threading.Thread(target=post, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        outputs = [p.communicate(timeout=120)[0] for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outputs
        assert statuses == [201] * 8
        assert client.get("/api/v1/search", params={"q": "harbour"}).json()["total"] == 128
        h = client.get("/api/v1/health").json()
        assert (h["articles"], h["index_documents"], h["in_sync"]) == (128, 128, True)
    for out in outputs:
        assert "60 added" in out
    archive = open_archive(settings)
    try:
        assert check(archive).ok
    finally:
        archive.close()


def test_index_failure_is_caught_up_by_the_next_write(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_upsert = archive.search.upsert

    def crash(docs: object) -> None:
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(archive.search, "upsert", crash)
    add(archive, make_item("The lighthouse keeper retired.", title="Keeper"))
    assert count_articles(archive) == 1  # stored: the database is the source of truth
    state = health(archive)
    assert state["in_sync"] is False and state["pending_index_updates"] == 1
    report = check(archive)
    assert report.missing == [1] and report.pending == 1 and not report.ok
    monkeypatch.setattr(archive.search, "upsert", real_upsert)
    add(archive, make_item("A second story about ferries.", title="Ferries"))
    with archive.sessions() as s:
        assert s.scalar(select(func.count()).select_from(IndexOutbox)) == 0
    assert check(archive).ok
    assert health(archive)["in_sync"] is True


def test_killed_import_resumes_without_duplicates(settings: Settings, tmp_path: Path) -> None:
    src = write_files(tmp_path / "big", "gamma", 400)
    proc = cli(settings, "import", "--quiet", "--batch-size", "20", str(src))
    archive = open_archive(settings)
    try:
        deadline = time.monotonic() + 60
        while count_articles(archive) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        partial = count_articles(archive)
        assert 40 <= partial <= 400
        again = cli(settings, "import", "--quiet", str(src))
        out = again.communicate(timeout=180)[0]
        assert again.returncode == 0, out
        assert count_articles(archive) == 400
        assert f"{400 - partial} added, {partial} duplicates" in out
        assert check(archive).ok
    finally:
        archive.close()
