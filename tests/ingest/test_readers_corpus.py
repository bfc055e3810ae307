"""The readers on the real files in ../shared/corpora/messy_formats (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.ingest.formats import read_path
from app.ingest.record import ArticleIn

pytestmark = pytest.mark.corpus


@pytest.fixture
def messy(corpora: Path) -> Path:
    root = corpora / "messy_formats"
    if not root.is_dir():
        pytest.skip(f"messy_formats corpus not found at {root}")
    return root


def items(path: Path) -> list[tuple[str, ArticleIn | None, str | None]]:
    return list(read_path(str(path), max_bytes=20_000_000, encoding=None))


def test_every_feed_reads_without_crashing(messy: Path) -> None:
    total_ok = 0
    for path in sorted((messy / "feeds").rglob("*")):
        if path.is_file():
            got = items(path)
            assert got, path  # at least an item or an error, never silence
            total_ok += sum(1 for _, article, _ in got if article is not None)
    assert total_ok >= 250  # 262 articles measured across the 24 feeds


def test_guardian_rss_and_json_feed(messy: Path) -> None:
    guardian = [a for _, a, _ in items(messy / "feeds/rss-parser/guardian.rss") if a]
    assert len(guardian) >= 50
    assert all(a.source == "The Guardian" and a.url for a in guardian)
    npr = [a for _, a, _ in items(messy / "feeds/trafilatura/feed.json") if a]
    assert len(npr) == 25


def test_html_pages_have_text_title_and_date(messy: Path) -> None:
    pages = sorted((messy / "html_trafilatura").glob("*.html"))
    assert pages
    for path in pages:
        [(_, article, error)] = items(path)
        assert error is None, (path, error)
        assert article is not None and len(article.body) > 500 and not article.title_derived


def test_warc_files_import_what_is_readable_and_report_the_rest(messy: Path) -> None:
    iana = [a for _, a, _ in items(messy / "warc/example-iana.org-chunked.warc") if a]
    assert len(iana) == 1 and iana[0].url == "http://www.iana.org/"
    assert iana[0].provenance and iana[0].provenance["warc_record_id"]
    for path in sorted((messy / "warc").iterdir()):
        got = items(path)
        assert got and all(error or article for _, article, error in got), path
    [(_, article, error)] = items(messy / "warc/example-bad-non-chunked.warc.gz")[-1:]
    assert article is None and "unreadable" in (error or "")
