"""`newsarchive import` across formats: detection, --format, --dry-run, provenance, extra
metadata, idempotent re-runs and the `imports` history."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.archive import open_archive
from app.config import Settings
from app.models import Article, ImportRun
from tests.cli.test_cli import run, write
from tests.ingest.test_readers import OPEN_GRAPH, RSS, page

CSV = "title,body,date,desk\nCsv one,Body of csv one.,2020-01-01,Sport\nBad,,2020-01-02,x\n"


def folder(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    write(root, "feeds/a.rss", RSS)
    write(root, "pages/story.html", page(head=OPEN_GRAPH))
    write(root, "rows.csv.gz", gzip.compress(CSV.encode()))
    write(root, "x.jsonl", '{"title": "J", "body": "Jsonl body.", "date": "2020-03-04"}\n')
    write(root, "ignored.png", b"\x89PNG")
    return root


def articles(settings: Settings) -> list[Article]:
    archive = open_archive(settings)
    try:
        with archive.sessions() as session:
            return list(session.scalars(select(Article).order_by(Article.id)))
    finally:
        archive.close()


def test_import_directory_of_mixed_formats(settings: Settings, tmp_path: Path) -> None:
    root = folder(tmp_path)
    result = run(settings, "import", "-q", str(root))
    assert result.exit_code == 1  # two bad items (empty RSS item, CSV row without body)
    assert "4 files: 5 added, 0 duplicates, 2 failed" in result.output
    stored = {a.title: a for a in articles(settings)}
    assert set(stored) == {
        "Full story",
        "Summary story",
        "OG title of the breakwater story",
        "Csv one",
        "J",
    }
    csv_row = stored["Csv one"]
    assert csv_row.extra == {"desk": "Sport"}
    prov = csv_row.provenance or {}
    assert prov["file"].endswith("rows.csv.gz") and prov["import_id"] and prov["imported_at"]
    assert (stored["Full story"].provenance or {})["feed"] == "https://harbour.example/"

    # Extra metadata and provenance travel through export and restore.
    out = tmp_path / "export.ndjson"
    assert run(settings, "export", "-o", str(out)).exit_code == 0
    exported = [json.loads(line) for line in out.read_text().splitlines()[1:]]
    csv_out = next(r for r in exported if r["title"] == "Csv one")
    assert csv_out["extra"] == {"desk": "Sport"} and csv_out["provenance"] == prov

    # Re-running adds nothing; the history has both runs with their counts and errors.
    again = run(settings, "import", "-q", str(root))
    assert "0 added, 5 duplicates, 2 failed" in again.output
    history = run(settings, "imports", "--json")
    runs = json.loads(history.output)
    assert [(r["added"], r["duplicates"], r["failed"], r["status"]) for r in runs] == [
        (0, 5, 2, "failed"),
        (5, 0, 2, "failed"),
    ]
    assert any("no body" in message for _, message in runs[0]["errors"])
    text = run(settings, "imports", "--errors").output
    assert "#2" in text and "5 duplicates" in text and "no body" in text


def test_dry_run_writes_nothing(settings: Settings, tmp_path: Path) -> None:
    root = folder(tmp_path)
    result = run(settings, "import", "-q", "--dry-run", str(root))
    assert "dry run, nothing written: would have 4 files: 5 added, 0 duplicates" in result.output
    assert articles(settings) == []
    assert json.loads(run(settings, "imports", "--json").output) == []
    run(settings, "import", "-q", str(root / "x.jsonl"))
    result = run(settings, "import", "-q", "--dry-run", str(root))
    assert "4 added, 1 duplicates" in result.output


def test_format_override(settings: Settings, tmp_path: Path) -> None:
    path = write(tmp_path, "export.txt", RSS)
    assert run(settings, "import", "-q", str(path)).exit_code == 1  # as dated text: no date line
    result = run(settings, "import", "-q", "--format", "feed", str(path))
    assert "2 added" in result.output


def test_imports_model_is_recorded_for_interrupted_runs(settings: Settings) -> None:
    from app.services.imports import finish_import, list_imports, start_import

    archive = open_archive(settings)
    try:
        run_id = start_import(archive, sources=["a", "b"])
        finish_import(
            archive,
            run_id=run_id,
            status="interrupted",
            files=1,
            added=2,
            duplicates=0,
            failed=[("x", "bad")] * 600,
        )
        [latest] = list_imports(archive, limit=1)
        assert isinstance(latest, ImportRun)
        assert (latest.status, latest.failed, len(latest.errors)) == ("interrupted", 600, 500)
    finally:
        archive.close()


def test_upload_page_needs_a_write_token_and_imports(
    client: TestClient, auth: dict[str, str]
) -> None:
    token = auth["Authorization"].removeprefix("Bearer ")
    files = [
        ("files", ("feed.rss", RSS, "application/rss+xml")),
        ("files", ("rows.csv", CSV.encode(), "text/csv")),
    ]
    page_ = client.get("/imports")
    assert page_.status_code == 200 and "No imports yet" in page_.text
    refused = client.post("/imports", files=files, data={"token": ""})
    assert refused.status_code == 401 and "write token is needed" in refused.text
    wrong = client.post("/imports", files=files, data={"token": "nope"})
    assert wrong.status_code == 403
    bad_format = client.post("/imports", files=files, data={"token": token, "format": "pdf"})
    assert bad_format.status_code == 400 and "unknown format" in bad_format.text
    done = client.post("/imports", files=files, data={"token": token})
    assert done.status_code == 200
    assert "3 added, 0 duplicates, 2 failed" in done.text
    assert "rows.csv:3" in done.text  # errors name the uploaded file, not a temp file
    found = client.get("/api/v1/articles", params={"q": "csv"}).json()
    assert found
    again = client.post("/imports", files=files, data={"token": token})
    assert "0 added, 3 duplicates" in again.text
    history = client.get("/imports").text
    assert history.count('<td data-label="how">upload</td>') == 2


def test_upload_page_escapes_file_names(client: TestClient, auth: dict[str, str]) -> None:
    token = auth["Authorization"].removeprefix("Bearer ")
    files = [("files", ("<script>x.txt", b"no date here", "text/plain"))]
    response = client.post("/imports", files=files, data={"token": token})
    assert response.status_code == 200 and "<script>x" not in response.text
    assert "&lt;script&gt;x.txt" in response.text


def test_bulk_api_runs_are_in_the_history(client: TestClient, auth: dict[str, str]) -> None:
    body = (
        '{"date": "2021-03-04", "title": "Budget passes", "body": "The budget passed."}\n'
        '{"date": "nope", "body": "x"}\n'
    )
    headers = {**auth, "Content-Type": "application/x-ndjson"}
    response = client.post("/api/v1/articles/bulk", content=body, headers=headers)
    assert response.status_code == 200
    page_ = client.get("/imports").text
    assert '<td data-label="how">api</td>' in page_ and "line 2" in page_
    [article] = client.get("/api/v1/articles").json()["results"]
    archive = open_archive(client.app.state.settings)  # type: ignore[attr-defined]
    try:
        with archive.sessions() as session:
            stored = session.get(Article, article["id"])
            assert stored is not None and stored.provenance
            assert stored.provenance["via"] == "api" and stored.provenance["line"] == 1
    finally:
        archive.close()


def test_update_replaces_edited_articles_at_the_same_url(
    settings: Settings, tmp_path: Path
) -> None:
    def version(name: str, body: str) -> Path:
        row = {"title": "Edited", "body": body, "date": "2020-01-01", "url": "https://e.example/1"}
        return write(tmp_path, name, json.dumps(row) + "\n")

    run(settings, "import", "-q", str(version("v1.jsonl", "First version of the text.")))
    second = version("v2.jsonl", "Second, corrected version of the text.")
    skipped = run(settings, "import", "-q", str(second))
    assert "0 added, 1 duplicates, 0 failed" in skipped.output
    assert [a.body for a in articles(settings)] == ["First version of the text."]
    updated = run(settings, "import", "-q", "--update", str(second))
    assert "0 added, 0 duplicates, 0 failed, 1 updated" in updated.output
    assert [a.body for a in articles(settings)] == ["Second, corrected version of the text."]
    assert json.loads(run(settings, "imports", "--json").output)[0]["updated"] == 1
    search = run(settings, "check")
    assert search.exit_code == 0, search.output
