"""update_article: one transaction for the row and its outbox entry, then the index."""

from __future__ import annotations

import pytest

from app.archive import Archive
from app.search.base import SearchRequest
from app.search.query import parse_query
from app.services.articles import (
    ArticleChanges,
    ArticleConflict,
    delete_article,
    update_article,
)
from app.services.counts import source_counts
from app.services.index_sync import check
from app.services.stats import health
from tests.factories import add, make_item


def ids(archive: Archive, q: str) -> list[int]:
    return archive.search.search(SearchRequest(query=parse_query(q))).ids


def test_update_reindexes_and_recomputes(archive: Archive) -> None:
    (a,) = add(archive, make_item("Old words about canals.", title="Canals"))
    updated = update_article(
        archive,
        article_id=a.id,
        changes=ArticleChanges(body="New text on bridges and tunnels.", source="Wire"),
    )
    assert updated.word_count == 6 and updated.content_hash != a.content_hash
    assert updated.updated_at >= a.updated_at and updated.source == "Wire"
    assert ids(archive, "bridges") == [a.id] and ids(archive, "old") == []
    assert check(archive).ok


def test_index_failure_during_update_is_caught_up(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    (a,) = add(archive, make_item("Old words about canals.", title="Canals"))
    real_upsert = archive.search.upsert

    def crash(docs: object) -> None:
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(archive.search, "upsert", crash)
    update_article(archive, article_id=a.id, changes=ArticleChanges(body="Bridges now."))
    state = health(archive)
    assert state["pending_index_updates"] == 1 and not state["in_sync"]
    assert check(archive).stale == [a.id]  # the index still holds the old text
    monkeypatch.setattr(archive.search, "upsert", real_upsert)
    add(archive, make_item("Another story.", title="Other"))
    assert ids(archive, "bridges") == [a.id] and check(archive).ok


def test_update_conflicts_change_nothing(archive: Archive) -> None:
    a, b = add(
        archive,
        make_item("First text.", url="https://example.org/1"),
        make_item("Second text."),
    )
    with pytest.raises(ArticleConflict) as err:
        update_article(archive, article_id=b.id, changes=ArticleChanges(body="FIRST  text."))
    assert err.value.existing.id == a.id
    with pytest.raises(ArticleConflict):
        update_article(
            archive,
            article_id=b.id,
            changes=ArticleChanges(title="T", url="https://example.org/1"),
        )
    assert ids(archive, "second") == [b.id] and check(archive).ok


def test_remembered_counts_notice_adds_edits_and_deletes(archive: Archive) -> None:
    # source_counts is remembered until the archive's fingerprint (count, highest id, latest
    # update) changes: each kind of write must change it.
    a, b = add(archive, make_item("One.", source="BBC"), make_item("Two.", source="BBC"))
    assert source_counts(archive) == [("BBC", 2)]
    update_article(archive, article_id=b.id, changes=ArticleChanges(source="CNN"))
    assert sorted(source_counts(archive)) == [("BBC", 1), ("CNN", 1)]
    delete_article(archive, article_id=a.id)
    assert source_counts(archive) == [("CNN", 1)]
    add(archive, make_item("Three.", source="CNN"))
    assert source_counts(archive) == [("CNN", 2)]
