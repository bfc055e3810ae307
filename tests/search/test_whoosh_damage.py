"""A damaged index fails a request, never the server (issue 17, A1 and A2): a segment cut short
under a live server, and random bytes written into one, give 503s with the error envelope."""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from app.archive import open_archive
from app.cli.commands import main
from app.config import Settings
from app.main import create_app
from tests.factories import add, make_item
from tests.live import UVICORN, clean_env, server_process

WORDS = 300


def fill(settings: Settings) -> None:
    """An archive whose one segment holds `WORDS` articles, each with a word of its own."""
    archive = open_archive(settings)
    try:
        items = [
            make_item(f"Common text about talks and markets. Unique word zq{n:04d}x here. " * 4)
            for n in range(WORDS)
        ]
        add(archive, *items)
    finally:
        archive.close()


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def largest_segment(data: Path) -> Path:
    return max((data / "index").glob("*.seg"), key=lambda p: p.stat().st_size)


@pytest.mark.slow
def test_a_segment_truncated_under_a_live_server_fails_searches_not_the_server(
    settings: Settings,
) -> None:
    fill(settings)
    data = settings.data_dir
    with server_process(
        [*UVICORN, "--log-level", "warning"],
        env=clean_env(data),
        log_path=data / "server.log",
    ) as base:
        status, body = get(f"{base}/api/v1/search?q=zq0000x")  # opens and keeps a searcher
        assert status == 200 and body["total"] == 1
        seg = largest_segment(data)
        with seg.open("r+b") as f:
            f.truncate(seg.stat().st_size // 2)
        statuses = set()
        for n in range(WORDS - 1, 0, -37):  # words stored towards the end of the segment
            status, body = get(f"{base}/api/v1/search?q=zq{n:04d}x")
            statuses.add(status)
            if status != 200:
                assert status == 503
                assert body["error"]["code"] == "index_damaged"
        assert 503 in statuses
        # The server is alive and says what is wrong.
        status, health = get(f"{base}/api/v1/health")
        assert status == 503
        assert "index_damaged" in [p["code"] for p in health["problems"]]


def scramble(seg: Path) -> None:
    """Random bytes over the middle half of a segment, its size unchanged."""
    data = bytearray(seg.read_bytes())
    quarter = len(data) // 4
    data[quarter : 3 * quarter] = random.Random(17).randbytes(2 * quarter)
    seg.write_bytes(bytes(data))


def test_random_bytes_in_a_segment_answer_503_and_check_repair_rebuilds(
    settings: Settings,
) -> None:
    fill(settings)
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/search", params={"q": "zq0001x"}).json()["total"] == 1
        scramble(largest_segment(settings.data_dir))  # under the running server
        r = client.get("/api/v1/search", params={"q": "zq0123x"})
        assert r.status_code == 503, r.text
        assert r.json()["error"]["code"] == "index_damaged"
        assert "check --repair" in r.json()["error"]["message"]
        r = client.get("/api/v1/health")
        assert r.status_code == 503 and r.json()["status"] == "unavailable"
        assert [p["code"] for p in r.json()["problems"]] == ["index_damaged"]

        result = CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "check"])
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
        assert "index damaged" in result.output and "Traceback" not in result.output
        result = CliRunner().invoke(
            main, ["--data-dir", str(settings.data_dir), "check", "--repair"]
        )
        assert result.exit_code == 0, result.output
        assert f"{WORDS} in the index; they agree" in result.output

        # The server sees the rebuilt index without a restart.
        assert client.get("/api/v1/health").json()["status"] == "ok"
        r = client.get("/api/v1/search", params={"q": "zq0123x"})
        assert r.status_code == 200 and r.json()["total"] == 1
        assert client.get("/api/v1/health").json()["status"] == "ok"


def test_checksums_are_recorded_per_commit(settings: Settings) -> None:
    fill(settings)
    manifest = json.loads((settings.resolved_index_dir() / "checksums.json").read_text())
    on_disk = {
        p.name for p in settings.resolved_index_dir().glob("*") if p.suffix in (".seg", ".toc")
    }
    assert set(manifest["files"]) == on_disk


def test_a_damaged_index_is_rebuilt_when_the_server_starts(settings: Settings) -> None:
    fill(settings)
    scramble(largest_segment(settings.data_dir))
    with TestClient(create_app(settings)) as client:
        for _ in range(600):
            r = client.get("/api/v1/search", params={"q": "zq0123x"})
            if r.status_code == 200:
                break
            assert r.status_code == 503  # damaged, or being rebuilt: never a 500
            time.sleep(0.05)
        assert r.status_code == 200 and r.json()["total"] == 1
