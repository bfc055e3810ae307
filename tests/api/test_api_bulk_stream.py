"""POST /api/v1/articles/bulk streams each batch's results as soon as the batch is stored, and
records its run in the import history however the stream ends."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from app.archive import open_archive
from app.config import Settings
from app.main import create_app
from app.services import articles
from app.services.counts import count_articles
from app.services.imports import list_imports
from tests.live import serve_in_thread

HEADERS = {"Content-Type": "application/x-ndjson"}


def ndjson(count: int, *, start: int = 0) -> bytes:
    return b"".join(
        json.dumps({"date": "2021-01-01", "body": f"Streamed item {i} about ports."}).encode()
        + b"\n"
        for i in range(start, start + count)
    )


class Gate:
    """Patches add_articles so its `stop_at`-th call waits until released (or a deadline, so a
    broken test fails instead of hanging)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, stop_at: int) -> None:
        self.calls = 0
        self.stop_at = stop_at
        self.waiting = threading.Event()
        self.release = threading.Event()
        self.passed = threading.Event()  # the held call went on (released or timed out)
        real = articles.add_articles

        def gated(archive, *, items):  # type: ignore[no-untyped-def]
            self.calls += 1
            if self.calls == self.stop_at:
                self.waiting.set()
                self.release.wait(timeout=20)
                self.passed.set()
            return real(archive, items=items)

        monkeypatch.setattr(articles, "add_articles", gated)


def lines_of(response: httpx.Response) -> Iterator[dict[str, Any]]:
    for line in response.iter_lines():
        if line.strip():
            yield json.loads(line)


def runs(settings: Settings) -> list[Any]:
    archive = open_archive(settings)
    try:
        return list_imports(archive)
    finally:
        archive.close()


def stored(settings: Settings) -> int:
    archive = open_archive(settings)
    try:
        return count_articles(archive)
    finally:
        archive.close()


def test_first_batch_arrives_while_the_next_is_still_being_stored(
    settings: Settings, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(monkeypatch, stop_at=2)
    app = create_app(settings.model_copy(update={"bulk_batch_size": 3}))
    with (
        serve_in_thread(app) as base,
        httpx.stream(
            "POST",
            f"{base}/api/v1/articles/bulk",
            content=ndjson(8),
            headers={**auth, **HEADERS},
            timeout=30,
        ) as r,
    ):
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/x-ndjson")
        received = lines_of(r)
        first = [next(received) for _ in range(3)]
        # Batch 2 is held inside add_articles: these lines came before the body was finished.
        assert gate.waiting.wait(timeout=10) and not gate.passed.is_set()
        assert [x["line"] for x in first] == [1, 2, 3]
        assert {x["status"] for x in first} == {"added"}
        assert runs(settings)[0].status == "running"
        gate.release.set()
        rest = list(received)
    assert [x["line"] for x in rest[:-1]] == [4, 5, 6, 7, 8]
    assert rest[-1] == {"summary": {"lines": 8, "added": 8, "duplicate": 0, "error": 0}}
    [run] = runs(settings)
    assert (run.status, run.added, run.via) == ("done", 8, "api")


def test_a_client_gone_mid_stream_leaves_an_interrupted_run(
    settings: Settings, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(monkeypatch, stop_at=2)
    app = create_app(settings.model_copy(update={"bulk_batch_size": 3}))
    with serve_in_thread(app) as base:
        with httpx.stream(
            "POST",
            f"{base}/api/v1/articles/bulk",
            content=ndjson(9),
            headers={**auth, **HEADERS},
            timeout=30,
        ) as r:
            received = lines_of(r)
            assert [next(received)["line"] for _ in range(3)] == [1, 2, 3]
            assert gate.waiting.wait(timeout=10)
        # The connection is closed; let the held batch finish: nothing after it is stored.
        gate.release.set()
        deadline = time.monotonic() + 15
        while (run := runs(settings)[0]).status == "running" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert run.status == "interrupted" and run.finished_at is not None
        assert run.added == stored(settings) == 6  # batches 1 and 2, not 3
        assert gate.calls == 2


def test_a_failure_after_the_header_ends_the_stream_with_an_error_line(
    settings: Settings, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = articles.add_articles
    calls = []

    def failing_second_time(archive, *, items):  # type: ignore[no-untyped-def]
        calls.append(len(items))
        if len(calls) == 2:
            raise OperationalError("INSERT ...", {}, Exception("disk I/O error"))
        return real(archive, items=items)

    monkeypatch.setattr(articles, "add_articles", failing_second_time)
    with TestClient(create_app(settings.model_copy(update={"bulk_batch_size": 2}))) as c:
        r = c.post("/api/v1/articles/bulk", content=ndjson(6), headers={**auth, **HEADERS})
        assert r.status_code == 200  # the header went out before the failure
        out = [json.loads(x) for x in r.text.splitlines()]
    assert [x.get("line") for x in out[:-1]] == [1, 2]
    last = out[-1]
    assert last["error"]["code"] == "internal_error"
    assert "after line 2" in last["error"]["message"]
    assert "disk I/O" not in last["error"]["message"]  # details stay in the server log
    assert last["summary"] == {"lines": 2, "added": 2, "duplicate": 0, "error": 0}
    assert calls == [2, 2]  # nothing tried after the failure
    [run] = runs(settings)
    assert (run.status, run.added, run.failed) == ("failed", 2, 1)
    assert "after line 2" in run.errors[0][1]


def test_overlong_lines_and_runs_of_bad_lines_are_reported_in_order(
    settings: Settings, auth: dict[str, str]
) -> None:
    small = settings.model_copy(update={"bulk_batch_size": 2, "max_article_bytes": 100})
    body = (
        ndjson(1)
        + b'{"date": "2021-01-01", "body": "'
        + b"x" * 500
        + b'"}\n'
        + b"{bad\n" * 5
        + ndjson(1, start=1)
        + b"\n"
        + ndjson(1, start=2).rstrip(b"\n")  # no newline at the end
    )
    with TestClient(create_app(small)) as c:
        r = c.post("/api/v1/articles/bulk", content=body, headers={**auth, **HEADERS})
    out = [json.loads(x) for x in r.text.splitlines()]
    assert [x.get("line") for x in out[:-1]] == [1, 2, 3, 4, 5, 6, 7, 8, 10]
    assert out[1]["error"]["code"] == "too_large"
    assert [x["status"] for x in out[:-1]].count("added") == 3
    assert out[-1]["summary"] == {"lines": 9, "added": 3, "duplicate": 0, "error": 6}


def test_the_history_keeps_the_first_errors_and_counts_them_all(
    settings: Settings, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.services import bulk_import

    monkeypatch.setattr(bulk_import, "MAX_ERRORS_KEPT", 3)
    with TestClient(create_app(settings)) as c:
        r = c.post(
            "/api/v1/articles/bulk", content=b"{bad\n" * 8 + ndjson(1), headers={**auth, **HEADERS}
        )
    assert json.loads(r.text.splitlines()[-1])["summary"]["error"] == 8
    [run] = runs(settings)
    assert (run.status, run.failed, run.added) == ("failed", 8, 1)
    assert [label for label, _ in run.errors] == ["line 1", "line 2", "line 3"]
