"""What the reading page makes of plain text: paragraphs (issue 18 item 6) and headlines derived
from the lead (item 7)."""

from __future__ import annotations

import html
from pathlib import Path

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


def test_a_derived_headline_reads_as_a_headline(client: TestClient, archive: Archive) -> None:
    seed = (Path(__file__).resolve().parents[2] / "seeds" / "blinken-2022-01-06.txt").read_text()
    page = _page(client, archive, seed)
    title = "The top US diplomat said the path of “diplomacy and de-escalation” was one of two…"
    assert f'<h1 class="derived">{html.escape(title, quote=False)}</h1>' in page
    # The first paragraph does not simply repeat it: its first words are set as a lead-in.
    stem = html.escape(title.removesuffix("…"), quote=False)
    assert f'<p><span class="leadin">{stem}</span> the US and the international' in page


def test_a_given_headline_has_no_lead_in(client: TestClient, archive: Archive) -> None:
    page = _page(client, archive, "date 2022-01-06\ntitle Talks\n\nTalks went on.\n")
    assert "<h1>Talks</h1>" in page and "leadin" not in page
