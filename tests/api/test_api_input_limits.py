"""Input limits at every way in: the article size limit (JSON, bulk lines, uploads, CLI), bounded
bulk error output, NUL characters refused alike on both backends, ids out of range."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from app.cli.commands import main
from app.config import Settings
from app.main import create_app
from app.services.bulk_import import MAX_ERROR_ROWS

NDJSON = {"Content-Type": "application/x-ndjson"}
LIMIT = 4000


@pytest.fixture
def small(settings: Settings) -> Iterator[TestClient]:
    """An app whose articles may be at most LIMIT bytes."""
    with TestClient(create_app(settings.model_copy(update={"max_article_bytes": LIMIT}))) as c:
        yield c


def article(text: str, day: int = 1, **extra: object) -> dict[str, object]:
    return {"date": f"2022-01-{day:02d}", "body": text, **extra}


def lines(*records: object) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def bulk(client: TestClient, auth: dict[str, str], body: bytes) -> list[dict[str, object]]:
    r = client.post("/api/v1/articles/bulk", content=body, headers={**auth, **NDJSON})
    assert r.status_code == 200, r.text
    return [json.loads(line) for line in r.text.splitlines()]


# -- C10: the size limit applies to every way in ------------------------------------------------


def test_a_json_article_over_the_limit_is_refused(small: TestClient, auth: dict[str, str]) -> None:
    r = small.post("/api/v1/articles", json=article("word " * 1000), headers=auth)
    assert r.status_code == 413 and "MAX_ARTICLE_BYTES" in r.json()["error"]["message"]
    assert (
        small.post("/api/v1/articles", json=article("word " * 500), headers=auth).status_code == 201
    )
    for method in ("put", "patch"):
        r = small.request(method, "/api/v1/articles/1", json=article("x " * 3000), headers=auth)
        assert r.status_code == 413, method


def test_bulk_lines_over_the_limit_fail_alone(small: TestClient, auth: dict[str, str]) -> None:
    out = bulk(small, auth, lines(article("good one"), article("big " * 1200), article("two", 2)))
    assert [r.get("status") for r in out[:3]] == ["added", "error", "added"]
    assert "MAX_ARTICLE_BYTES" in out[1]["error"]["message"]  # type: ignore[index]


def test_bulk_error_output_is_bounded(client: TestClient, auth: dict[str, str]) -> None:
    bad = 3 * MAX_ERROR_ROWS
    body = b"1\n" * bad + lines(article("the one good line"))
    r = client.post("/api/v1/articles/bulk", content=body, headers={**auth, **NDJSON})
    out = [json.loads(line) for line in r.text.splitlines()]
    errors = [o for o in out if o.get("status") == "error"]
    assert len(errors) == MAX_ERROR_ROWS
    assert [o["status"] for o in out if o.get("status") == "added"] == ["added"]
    summary = out[-1]["summary"]
    assert summary["error"] == bad and summary["errors_omitted"] == bad - MAX_ERROR_ROWS
    assert len(r.content) < 200 * MAX_ERROR_ROWS  # not ~100 bytes for each of 3,000 lines


def test_uploads_and_the_cli_apply_the_limit(
    settings: Settings, small: TestClient, auth: dict[str, str], tmp_path: Path
) -> None:
    big = json.dumps([article("large " * 1000), article("small enough")]).encode()
    token = auth["Authorization"].removeprefix("Bearer ")
    files = [("files", ("many.json", big, "application/json"))]
    r = small.post("/imports", files=files, data={"token": token})
    assert r.status_code == 200 and "1 added" in r.text and "MAX_ARTICLE_BYTES" in r.text
    path = tmp_path / "more.json"
    path.write_text(json.dumps([article("huge " * 1000, 3), article("fits", 3)]))
    env = {"NEWSARCHIVE_MAX_ARTICLE_BYTES": str(LIMIT)}
    result = CliRunner().invoke(
        main, ["--data-dir", str(settings.data_dir), "import", str(path)], env=env
    )
    assert result.exit_code == 1
    assert "more.json" in result.output and "MAX_ARTICLE_BYTES" in result.output
    assert "1 added" in result.output


# -- C11: NUL characters and ids out of range ---------------------------------------------------

NUL_RECORDS = [
    article("a NUL \x00 in the body"),
    article("fine body", title="a NUL \x00 in the title"),
    article("fine body two", authors=["Ann\x00 Lee"]),
    article("fine body three", notes="kept extra \x00 field"),
]


def test_a_nul_character_is_refused_by_post(client: TestClient, auth: dict[str, str]) -> None:
    for record in NUL_RECORDS[:3]:
        r = client.post("/api/v1/articles", json=record, headers=auth)
        assert r.status_code == 422, record
        assert "NUL" in r.json()["error"]["message"]
    r = client.post(
        "/api/v1/articles",
        content=b"date 2022-01-01\n\nA text \x00 body",
        headers={**auth, "Content-Type": "text/plain"},
    )
    assert r.status_code == 422


def test_a_nul_line_fails_alone_in_bulk(client: TestClient, auth: dict[str, str]) -> None:
    out = bulk(client, auth, lines(article("good"), *NUL_RECORDS[:3], article("also good", 2)))
    assert [r.get("status") for r in out[:5]] == ["added", "error", "error", "error", "added"]
    assert client.get("/api/v1/articles").json()["total"] == 2


def test_the_cli_import_reports_a_nul_record_and_goes_on(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in [*NUL_RECORDS, article("clean")]))
    result = CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "import", str(path)])
    assert result.exit_code == 1, result.output
    assert result.output.count("NUL") == 4 and "rows.jsonl" in result.output
    assert "1 added" in result.output


@pytest.mark.parametrize("bad_id", [2**31, 2**63 - 1, 2**64, 10**30])
def test_ids_out_of_range_are_not_found(
    client: TestClient, auth: dict[str, str], bad_id: int
) -> None:
    for path in (f"/api/v1/articles/{bad_id}", f"/articles/{bad_id}"):
        assert client.get(path).status_code == 404, path
    assert client.delete(f"/api/v1/articles/{bad_id}", headers=auth).status_code == 404
    r = client.patch(f"/api/v1/articles/{bad_id}", json={"title": "x"}, headers=auth)
    assert r.status_code == 404


@pytest.mark.postgres
def test_nul_refused_alike_on_postgres(
    pg_settings: Settings, auth: dict[str, str], tmp_path: Path
) -> None:
    """PostgreSQL refuses NUL itself: the same clean answers as on SQLite, good lines stored."""
    with TestClient(create_app(pg_settings)) as client:
        r = client.post("/api/v1/articles", json=NUL_RECORDS[0], headers=auth)
        assert r.status_code == 422 and "NUL" in r.json()["error"]["message"]
        out = bulk(client, auth, lines(article("good"), *NUL_RECORDS, article("also good", 2)))
        assert [r.get("status") for r in out[:6]] == ["added", *["error"] * 4, "added"]
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in [*NUL_RECORDS, article("clean", 3)]))
    env = {
        "NEWSARCHIVE_DATABASE_URL": pg_settings.database_url or "",
        "NEWSARCHIVE_SEARCH_BACKEND": "postgres",
    }
    data = ["--data-dir", str(pg_settings.data_dir)]
    result = CliRunner().invoke(main, [*data, "import", str(path)], env=env)
    assert result.exit_code == 1 and result.output.count("NUL") == 4, result.output
    assert "1 added" in result.output


@pytest.mark.postgres
@pytest.mark.parametrize("bad_id", [2**31, 2**63 - 1])
def test_ids_out_of_range_on_postgres(
    pg_settings: Settings, auth: dict[str, str], bad_id: int
) -> None:
    with TestClient(create_app(pg_settings)) as client:
        assert client.get(f"/api/v1/articles/{bad_id}").status_code == 404
        assert client.get(f"/articles/{bad_id}").status_code == 404
        assert client.get(f"/api/v1/articles/{bad_id}/related").status_code == 404
        assert client.delete(f"/api/v1/articles/{bad_id}", headers=auth).status_code == 404
        r = client.put(f"/api/v1/articles/{bad_id}", json=article("x"), headers=auth)
        assert r.status_code == 404
