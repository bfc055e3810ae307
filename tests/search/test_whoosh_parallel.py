"""Big batches are indexed by worker processes (Whoosh's MpWriter): the result must be the same
index a single process would build, updates included."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.archive import open_archive
from app.config import Settings
from app.models import Article
from app.search.whoosh import backend as whoosh_backend
from app.services.articles import ArticleChanges, update_article
from app.services.index_sync import check, to_index_doc
from app.services.searching import SearchParams, search_articles
from tests.factories import add, make_item


def test_parallel_batches_index_and_replace_every_document(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(whoosh_backend, "PARALLEL_MIN_DOCS", 40)
    archive = open_archive(settings.model_copy(update={"index_processes": 2}))
    try:
        assert archive.search.processes == 2  # type: ignore[attr-defined]
        items = [
            make_item(
                f"Harbour report {i}: the {'storm' if i % 2 else 'calm'} sea at dawn.",
                title=f"Harbour {i}",
                date=f"2021-{1 + i % 12:02d}-01",
                source="Wire" if i % 3 else "Post",
            )
            for i in range(120)
        ]
        added = add(archive, *items)
        # The workers did the indexing (one segment each), not the serial repair after them.
        with archive.search._searcher() as s:  # type: ignore[attr-defined]
            assert len(s.reader().leaf_readers()) >= 2
        assert search_articles(archive, params=SearchParams(q="harbour")).total == 120
        assert search_articles(archive, params=SearchParams(q="dawn")).total == 120
        assert search_articles(archive, params=SearchParams(q="storm")).total == 60
        assert search_articles(archive, params=SearchParams(sources=("Post",))).total == 40
        # A second parallel batch on top: segments from both runs are searched together.
        add(archive, *[make_item(f"Late storm note {i}.", date="2022-01-01") for i in range(50)])
        assert search_articles(archive, params=SearchParams(q="storm")).total == 110
        update_article(archive, article_id=added[0].id, changes=ArticleChanges(body="Quiet."))
        assert search_articles(archive, params=SearchParams(q="dawn")).total == 119
        # Re-indexing stored articles in a parallel batch replaces them, never duplicates.
        with archive.sessions() as session:
            docs = [to_index_doc(a) for a in session.scalars(select(Article))]
        archive.search.upsert(docs)
        assert search_articles(archive, params=SearchParams(q="storm")).total == 110
        report = check(archive)
        assert report.ok, report.summary()
        assert archive.search.doc_count() == 170
        assert "parallel indexing lost" not in caplog.text
    finally:
        archive.close()
