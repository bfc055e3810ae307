"""The server's indexer merges index segments when it has nothing to index (issue 17, C14): the
merges that commits no longer do under the write lock still happen, and lose nothing."""

from __future__ import annotations

import time

from app.archive import Archive
from app.search.whoosh import merging
from app.services.index_sync import check
from app.services.indexer import BackgroundIndexer
from app.services.searching import SearchParams, search_articles
from tests.factories import add, make_item


def segment_sizes(archive: Archive) -> list[int]:
    ix = archive.search._index()  # type: ignore[attr-defined]
    return sorted(s.doc_count_all() for s in ix._segments())


def test_idle_indexer_merges_the_segments_of_past_batches(archive: Archive) -> None:
    size = merging.SMALL_SEGMENT_DOCS + 20
    for batch in range(merging.TIER_WIDTH):
        add(
            archive,
            *[
                make_item(f"Ferry log {batch}-{i}: the {'gale' if i % 2 else 'calm'} crossing.")
                for i in range(size)
            ],
        )
    assert segment_sizes(archive) == [size] * merging.TIER_WIDTH  # commits merged none
    indexer = BackgroundIndexer(archive, interval=0.05)
    indexer.start()
    try:
        deadline = time.monotonic() + 60
        while len(segment_sizes(archive)) > 1 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        indexer.stop()
    assert segment_sizes(archive) == [size * merging.TIER_WIDTH]
    total = size * merging.TIER_WIDTH
    assert search_articles(archive, params=SearchParams(q="ferry")).total == total
    assert search_articles(archive, params=SearchParams(q="gale")).total == total // 2
    report = check(archive, full=True)
    assert report.ok, report.summary()
