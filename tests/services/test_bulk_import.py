"""The bulk import service on its own, without HTTP: lines in, per-line results out, batch by
batch, and the run recorded once in the import history."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest

from app.archive import Archive, open_archive
from app.config import Settings
from app.ingest.record import ArticleIn
from app.services.bulk_import import BulkRun, LineRejected
from app.services.imports import list_imports, start_import
from tests.factories import make_item


def parse(raw: bytes) -> ArticleIn:
    data = json.loads(raw)
    if "body" not in data:
        raise LineRejected("validation_error", "body: Field required")
    return make_item(data["body"], title=data.get("title", "A headline"))


@pytest.fixture
def archive(settings: Settings) -> Iterator[Archive]:
    a = open_archive(settings.model_copy(update={"bulk_batch_size": 2}))
    yield a
    a.close()


def test_lines_are_stored_in_batches_and_the_run_is_finished_once(archive: Archive) -> None:
    lines = [
        {"body": "First article about ports."},
        {"title": "no body"},
        {"body": "First article about ports."},  # the same text again
        {"body": "Second article about ships.", "title": ""},  # no title: invalid
        {"body": "Third article about cranes."},
    ]
    body = io.BytesIO(b"\n".join(json.dumps(x).encode() for x in lines) + b"\n\n")
    run_id = start_import(archive, sources=["test"], via="api")
    run = BulkRun(archive, body=body, run_id=run_id, provenance={"via": "test"}, parse=parse)

    batches = list(run.results())
    run.close()  # after the summary: the run stays "failed", not "interrupted"

    assert [[r.get("line") for r in rows] for rows in batches] == [[1, 2], [3, 4], [5], [None]]
    rows = [r for rows in batches[:-1] for r in rows]
    assert [r["status"] for r in rows] == ["added", "error", "duplicate", "error", "added"]
    assert rows[1]["error"]["code"] == "validation_error"
    assert rows[3]["error"]["code"] == "invalid_article"
    assert rows[2]["id"] == rows[0]["id"]
    assert batches[-1] == [{"summary": {"lines": 5, "added": 2, "duplicate": 1, "error": 2}}]
    [recorded] = list_imports(archive)
    assert (recorded.status, recorded.added, recorded.duplicates, recorded.failed) == (
        "failed",
        2,
        1,
        2,
    )
    assert [label for label, _ in recorded.errors] == ["line 2", "line 4"]
    assert body.closed
