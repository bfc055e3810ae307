"""Interrupted imports: a run killed outright (SIGKILL) shows as "interrupted" in the history,
and running the same import again adds nothing twice and leaves database and index agreeing."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.archive import open_archive
from app.config import Settings
from app.main import create_app
from app.models import Article, ImportRun
from app.services.imports import STALE_AFTER, abandoned, list_imports, start_import
from tests.cli.test_cli import run

NEWSARCHIVE = Path(sys.executable).parent / "newsarchive"


def history(settings: Settings) -> list[dict]:
    result = run(settings, "imports", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def wire(folder: Path, total: int) -> Path:
    source = folder / "wire.jsonl"
    with source.open("w", encoding="utf-8") as out:
        for i in range(total):
            row = {"date": f"2020-03-{i % 28 + 1:02d}", "title": f"Item {i}", "body": f"Wire {i}."}
            if i % 2:
                row["url"] = f"https://wire.example/{i}"
            out.write(json.dumps(row) + "\n")
    return source


def start_and_wait(settings: Settings, source: Path, *, added: int) -> subprocess.Popen[bytes]:
    """A real `newsarchive import` in its own process, once it has committed `added` items (the
    heartbeat carries the counts so far)."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")},
        "NEWSARCHIVE_DATA_DIR": str(settings.data_dir),
        "NEWSARCHIVE_WRITE_LOCK_TIMEOUT": "30",
    }
    argv = [str(NEWSARCHIVE), "import", "-q", "--batch-size", "25", str(source)]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    archive = open_archive(settings)
    try:
        deadline = time.monotonic() + 60
        while not ((runs := list_imports(archive)) and runs[0].added >= added):
            assert proc.poll() is None, "the import ended before it could be stopped"
            assert time.monotonic() < deadline, "the import made no progress"
            time.sleep(0.01)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        archive.close()
    return proc


def test_a_run_killed_with_sigkill_is_interrupted_and_a_rerun_adds_nothing_twice(
    settings: Settings, tmp_path: Path
) -> None:
    total = 1200
    source = wire(tmp_path, total)
    proc = start_and_wait(settings, source, added=100)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)

    [killed] = history(settings)
    assert killed["status"] == "interrupted" and killed["finished_at"] is None
    assert killed["pid"] == proc.pid and killed["added"] >= 100
    assert killed["added"] < total

    again = run(settings, "import", "-q", "--batch-size", "25", str(source))
    assert again.exit_code == 0, again.output
    added = int(again.output.split(" added")[0].split()[-1])
    duplicates = int(again.output.split(" duplicates")[0].split()[-1])
    assert added + duplicates == total and duplicates >= killed["added"]

    archive = open_archive(settings)
    try:
        with archive.sessions() as session:
            assert session.scalar(select(func.count(Article.id))) == total
            repeated = session.scalar(
                select(func.count()).select_from(
                    select(Article.body)
                    .group_by(Article.body)
                    .having(func.count(Article.id) > 1)
                    .subquery()
                )
            )
            assert repeated == 0
    finally:
        archive.close()
    check = run(settings, "check")
    assert check.exit_code == 0 and "they agree" in check.output, check.output
    assert f"{total} in the index" in check.output
    runs = history(settings)
    assert [r["status"] for r in runs] == ["done", "interrupted"]
    listing = run(settings, "imports").output.splitlines()
    assert "interrupted" in listing[1] and f"{killed['added']} added" in listing[1]
    with TestClient(create_app(settings)) as client:
        page = client.get("/imports").text
    assert page.count('status-interrupted">interrupted</td>') == 1
    assert page.count('status-done">done</td>') == 1


def test_a_run_stopped_with_sigterm_records_itself_as_interrupted(
    settings: Settings, tmp_path: Path
) -> None:
    proc = start_and_wait(settings, wire(tmp_path, 1200), added=50)
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:  # never leave the import running (or a ResourceWarning)
            proc.kill()
            proc.wait()
    assert code == 130
    [stopped] = history(settings)
    assert stopped["status"] == "interrupted" and stopped["finished_at"] is not None
    assert 50 <= stopped["added"] < 1200


def test_runs_are_abandoned_when_their_process_is_gone_or_silent(settings: Settings) -> None:
    archive = open_archive(settings)
    try:
        run_id = start_import(archive, sources=["x"])
        [mine] = list_imports(archive)
        assert mine.id == run_id and mine.status == "running"  # this very process: alive
        assert mine.pid == os.getpid() and mine.host
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        assert abandoned(mine, now=now + STALE_AFTER + dt.timedelta(minutes=1))
        assert not abandoned(mine, now=now)

        gone = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"],
            capture_output=True,
            text=True,
            check=True,
        )
        with archive.sessions() as session:
            row = session.get(ImportRun, run_id)
            assert row is not None
            row.pid = int(gone.stdout)
            session.commit()
        [dead] = list_imports(archive)
        assert dead.status == "interrupted"
        with archive.sessions() as session:  # shown, not stored
            assert session.get(ImportRun, run_id).status == "running"  # type: ignore[union-attr]
            row = session.get(ImportRun, run_id)
            assert row is not None
            row.host = "another-machine"  # cannot be checked from here: trust its heartbeat
            session.commit()
        assert list_imports(archive)[0].status == "running"
    finally:
        archive.close()


def test_a_heartbeat_that_cannot_be_written_does_not_stop_the_import(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.services import imports

    def locked(*args: object, **kwargs: object) -> None:
        raise OperationalError("UPDATE imports ...", {}, Exception("database is locked"))

    monkeypatch.setattr(imports, "update", locked)
    result = run(settings, "import", "-q", "--batch-size", "10", str(wire(tmp_path, 50)))
    assert result.exit_code == 0 and "50 added" in result.output, result.output
    [done] = history(settings)
    assert (done["status"], done["added"]) == ("done", 50)


def test_an_upload_whose_import_raises_is_recorded_as_failed(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The run must not stay "running" (it would for an hour, the server being alive): it is
    # recorded as failed with the error, and the error still goes up.
    import app.web.imports
    from tests.conftest import TOKEN

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(app.web.imports, "import_files", broken)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        r = client.post(
            "/imports",
            data={"token": TOKEN},
            files={"files": ("a.txt", b"date 2022-01-06\n\nText.", "text/plain")},
        )
    assert r.status_code == 500
    archive = open_archive(settings)
    try:
        (latest, *_) = list_imports(archive)
    finally:
        archive.close()
    assert latest.status == "failed"
    assert latest.errors == [["import", "RuntimeError: disk full"]]
