"""What the reading page makes of plain text: paragraphs (issue 18 item 6) and headlines derived
from the lead (item 7)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.archive import Archive
from app.ingest.dated_text import parse_dated_text
from app.services.articles import add_articles
from tests.ingest.test_paragraphs import REUTERS_STYLE


def _page(client: TestClient, archive: Archive, text: str) -> str:
    [outcome] = add_articles(archive, items=[parse_dated_text(text)])
    return client.get(f"/articles/{outcome.article.id}").text


def test_indented_paragraphs_are_paragraphs_on_the_page(
    client: TestClient, archive: Archive
) -> None:
    page = _page(client, archive, "date 1987-02-26\ntitle Cocoa\n\n" + REUTERS_STYLE)
    assert "<p>The dry period means the temporao will be late this year.</p>" in page
    assert "<p>Reuter</p>" in page
