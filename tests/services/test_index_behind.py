"""Indexing behind the import: rows and outbox first, the index catching up after; the lag
shown; single writes searchable at once whatever the backlog; catch-up after kill -9."""

from __future__ import annotations

import datetime as dt
import json
import signal
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update

from app.archive import Archive, open_archive
from app.config import Settings
from app.main import create_app
from app.models import Article, IndexOutbox
from app.search.base import SearchRequest
from app.search.query import parse_query
from app.services.articles import ArticleChanges, add_article, delete_article, update_article
from app.services.counts import count_articles
from app.services.importer import ImportOptions, import_files
from app.services.index_sync import catch_up, check, index_lag, reindex
from app.services.indexer import BackgroundIndexer
from app.services.stats import health
from tests.factories import add, make_item
from tests.services.test_integrity import cli, write_files


def hits(archive: Archive, query: str) -> int:
    return archive.search.search(SearchRequest(query=parse_query(query), limit=1)).total


def pending(archive: Archive) -> int:
    with archive.sessions() as session:
        return index_lag(session).pending


def import_behind(archive: Archive, folder: Path) -> None:
    files = sorted(str(p) for p in folder.iterdir())
    import_files(archive, files=files, options=ImportOptions(batch_size=10, index="behind"))


def test_import_behind_stores_first_and_catch_up_makes_searchable(
    archive: Archive, tmp_path: Path
) -> None:
    import_behind(archive, write_files(tmp_path / "in", "delta", 30))
    assert count_articles(archive) == 30
    assert hits(archive, "harbour") == 0  # stored, not yet searchable
    state = health(archive)
    assert (state["in_sync"], state["index"], state["pending_index_updates"]) == (
        False,
        "behind",
        30,
    )
    assert state["oldest_pending_seconds"] is not None and state["oldest_pending_seconds"] >= 0
    assert catch_up(archive, batch_size=7) == 30  # several batches
    assert hits(archive, "harbour") == 30
    state = health(archive)
    assert (state["in_sync"], state["index"], state["pending_index_updates"]) == (
        True,
        "in_sync",
        0,
    )
    assert state["oldest_pending_seconds"] is None
    assert check(archive, full=True).ok


def test_health_reports_the_age_of_the_oldest_pending_update(
    archive: Archive, tmp_path: Path
) -> None:
    import_behind(archive, write_files(tmp_path / "in", "eps", 3))
    an_hour_ago = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=1)
    with archive.sessions() as session:
        first = session.scalar(select(func.min(IndexOutbox.id)))
        session.execute(
            update(IndexOutbox).where(IndexOutbox.id == first).values(created_at=an_hour_ago)
        )
        session.commit()
    age = health(archive)["oldest_pending_seconds"]
    assert 3590 <= age <= 3700


def test_single_writes_are_searchable_at_once_and_leave_the_backlog(
    archive: Archive, tmp_path: Path
) -> None:
    import_behind(archive, write_files(tmp_path / "in", "zeta", 20))
    added = add_article(archive, item=make_item("Lighthouse keepers met today.", title="Keepers"))
    assert hits(archive, "lighthouse") == 1
    assert pending(archive) == 20  # only its own entry was applied
    update_article(
        archive, article_id=added.article.id, changes=ArticleChanges(body="Ferries sailed.")
    )
    assert hits(archive, "ferries") == 1 and hits(archive, "lighthouse") == 0
    stored_behind = 5  # one of the imported articles, not yet indexed
    update_article(archive, article_id=stored_behind, changes=ArticleChanges(title="Canal news"))
    assert hits(archive, "title:canal") == 1
    delete_article(archive, article_id=added.article.id)
    assert hits(archive, "ferries") == 0
    assert pending(archive) == 19
    catch_up(archive)
    assert check(archive, full=True).ok and hits(archive, "harbour") == 20


def test_killed_import_behind_is_caught_up_exactly_once(settings: Settings, tmp_path: Path) -> None:
    """kill -9 in the middle of an import that indexes behind; the next drain (what `serve`
    does at start-up) makes every stored article searchable, none of them twice."""
    src = write_files(tmp_path / "big", "theta", 300)
    proc = cli(
        settings, "import", "--quiet", "--batch-size", "10", "--indexing", "behind", str(src)
    )
    archive = open_archive(settings)
    try:
        deadline = time.monotonic() + 60
        while count_articles(archive) < 50 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        stored = count_articles(archive)
        assert 50 <= stored <= 300
        # Whatever was indexed before the kill, some work is left: the import indexes after.
        assert pending(archive) > 0 or stored == 300
        indexer = BackgroundIndexer(archive, interval=60, batch_size=40)
        while indexer.drain_once():
            pass
        assert pending(archive) == 0
        versions = archive.search.versions()
        assert len(versions) == archive.search.doc_count() == stored  # none twice
        assert hits(archive, "harbour") == stored
        assert check(archive, full=True).ok
    finally:
        archive.close()


def test_indexer_killed_mid_catch_up_leaves_nothing_check_cannot_mend(
    settings: Settings, tmp_path: Path
) -> None:
    """kill -9 while the index catches up: the next catch-up finishes, nothing indexed twice."""
    src = write_files(tmp_path / "in", "omi", 300)
    stored = cli(settings, "import", "--quiet", "--no-wait", str(src))
    out = stored.communicate(timeout=120)[0]
    assert stored.returncode == 0, out
    archive = open_archive(settings)
    try:
        proc = cli(settings, "catch-up", "--quiet", "--batch-size", "20")
        deadline = time.monotonic() + 60
        while pending(archive) == 300 and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        left = pending(archive)
        assert 0 <= left < 300
        again = cli(settings, "catch-up", "--quiet")
        out = again.communicate(timeout=120)[0]
        assert again.returncode == 0, out
        assert archive.search.doc_count() == len(archive.search.versions()) == 300
        assert hits(archive, "harbour") == 300 and check(archive, full=True).ok
    finally:
        archive.close()


def test_killed_inline_import_is_caught_up_by_check_repair(
    settings: Settings, tmp_path: Path
) -> None:
    src = write_files(tmp_path / "big", "iota", 300)
    proc = cli(
        settings, "import", "--quiet", "--batch-size", "10", "--indexing", "inline", str(src)
    )
    archive = open_archive(settings)
    try:
        deadline = time.monotonic() + 60
        while count_articles(archive) < 50 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        stored = count_articles(archive)
        repair = cli(settings, "check", "--repair")
        out = repair.communicate(timeout=120)[0]
        assert repair.returncode == 0, out
        assert archive.search.doc_count() == len(archive.search.versions()) == stored
        assert hits(archive, "harbour") == stored
    finally:
        archive.close()


def test_no_wait_returns_before_searchable_and_catch_up_finishes(
    settings: Settings, tmp_path: Path
) -> None:
    src = write_files(tmp_path / "in", "kappa", 40)
    run = cli(settings, "import", "--quiet", "--no-wait", str(src))
    out = run.communicate(timeout=120)[0]
    assert run.returncode == 0, out
    assert "40 added" in out and "40 index updates pending" in out
    archive = open_archive(settings)
    try:
        assert count_articles(archive) == 40 and hits(archive, "harbour") == 0
        assert health(archive)["index"] == "behind"
        later = cli(settings, "catch-up", "--quiet")
        out = later.communicate(timeout=120)[0]
        assert later.returncode == 0 and "40 index updates applied" in out, out
        assert hits(archive, "harbour") == 40 and health(archive)["in_sync"]
    finally:
        archive.close()


def test_import_waits_until_searchable_when_indexing_behind(
    settings: Settings, tmp_path: Path
) -> None:
    src = write_files(tmp_path / "in", "lam", 25)
    run = cli(settings, "import", "--quiet", "--indexing", "behind", str(src))
    out = run.communicate(timeout=120)[0]
    assert run.returncode == 0 and "25 index updates applied in" in out, out
    archive = open_archive(settings)
    try:
        assert hits(archive, "harbour") == 25 and health(archive)["in_sync"]
    finally:
        archive.close()


def test_server_catches_up_at_start_and_health_shows_it(settings: Settings, tmp_path: Path) -> None:
    archive = open_archive(settings)
    try:
        import_behind(archive, write_files(tmp_path / "in", "mu", 30))
    finally:
        archive.close()
    fast = settings.model_copy(update={"catch_up_interval": 0.05})
    with TestClient(create_app(fast)) as client:
        deadline = time.monotonic() + 60
        state = client.get("/api/v1/health").json()
        while not state["in_sync"] and time.monotonic() < deadline:
            assert state["index"] == "behind" and state["pending_index_updates"] > 0
            time.sleep(0.05)
            state = client.get("/api/v1/health").json()
        assert state["in_sync"] and state["index"] == "in_sync"
        assert client.get("/api/v1/search", params={"q": "harbour"}).json()["total"] == 30


def test_stats_and_imports_page_show_the_lag(settings: Settings, tmp_path: Path) -> None:
    archive = open_archive(settings)
    try:
        import_behind(archive, write_files(tmp_path / "in", "nu", 12))
    finally:
        archive.close()
    stats = cli(settings, "stats")
    out = stats.communicate(timeout=60)[0]
    assert "behind:    12 index updates pending" in out, out
    never = settings.model_copy(update={"catch_up_interval": 0})
    with TestClient(create_app(never)) as client:
        page = client.get("/imports").text
        assert "The search index is behind: 12" in page
        assert client.get("/api/v1/stats").json()["index"]["state"] == "behind"


# -- the sync watermark: start-up's check without reading the index ----------------------------


def no_full_reads(archive: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> dict[int, str]:
        raise AssertionError("the index was read in full")

    monkeypatch.setattr(archive.search, "versions", refuse)


def test_check_trusts_an_unchanged_archive_without_reading_the_index(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(archive, make_item("Harbour cranes were repaired.", title="Cranes"))
    assert not check(archive).quick  # no watermark yet: everything is compared
    no_full_reads(archive, monkeypatch)
    report = check(archive, repair=True)
    assert report.ok and report.quick and report.articles == 1
    # Writes that index as they go extend the chain: still nothing to read.
    add(archive, make_item("Ferries ran late.", title="Ferries"))
    (stored,) = add(archive, make_item("Canal boats moved.", title="Boats"))
    update_article(archive, article_id=stored.id, changes=ArticleChanges(title="Barges"))
    delete_article(archive, article_id=1)
    assert check(archive).quick and check(archive).articles == 2


def test_check_compares_everything_after_work_left_pending(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(archive, make_item("Harbour cranes were repaired.", title="Cranes"))
    assert check(archive).ok and check(archive).quick
    import_behind(archive, write_files(tmp_path / "in", "xi", 5))
    report = check(archive, repair=True)
    assert not report.quick and report.pending == 5 and report.repaired
    assert check(archive).ok  # the full check after the repair starts the chain again
    assert check(archive).quick


def test_check_notices_an_index_written_behind_its_back(archive: Archive) -> None:
    add(archive, make_item("Harbour cranes were repaired.", title="Cranes"))
    add(archive, make_item("Ferries ran late.", title="Ferries"))
    assert check(archive).ok and check(archive).quick
    archive.search.delete([1])  # not through a drain: the generation moves on unrecorded
    report = check(archive, repair=True)
    assert not report.quick and report.missing == [1]
    assert check(archive).ok


def test_check_notices_a_database_changed_behind_its_back(archive: Archive) -> None:
    add(archive, make_item("Harbour cranes were repaired.", title="Cranes"))
    add(archive, make_item("Ferries ran late.", title="Ferries"))
    assert check(archive).ok and check(archive).quick
    with archive.sessions() as session:  # no outbox entry: as a restored backup would be
        session.execute(delete(Article).where(Article.id == 2))
        session.commit()
    report = check(archive)
    assert not report.quick and report.extra == [2]


def test_check_full_reads_everything_even_when_unchanged(archive: Archive) -> None:
    add(archive, make_item("Harbour cranes were repaired.", title="Cranes"))
    assert check(archive).ok and check(archive).quick
    assert not check(archive, full=True).quick


def test_rebuilt_index_records_the_watermark(archive: Archive) -> None:
    add(archive, make_item("Harbour cranes were repaired.", title="Cranes"))
    reindex(archive)
    assert check(archive).quick


def test_bulk_api_answers_before_indexing_when_asked_and_says_so(
    settings: Settings, auth: dict[str, str]
) -> None:
    body = b"".join(
        json.dumps(
            {"date": "2021-03-04", "title": f"Budget {i}", "body": f"Harbour vote {i}."}
        ).encode()
        + b"\n"
        for i in range(6)
    )
    headers = {**auth, "Content-Type": "application/x-ndjson"}
    never = settings.model_copy(update={"catch_up_interval": 0})  # no server indexer: see it
    with TestClient(create_app(never)) as client:
        early = client.post("/api/v1/articles/bulk?wait=false", content=body, headers=headers)
        last = json.loads(early.text.splitlines()[-1])
        assert last["summary"]["added"] == 6
        assert last["index"] == {"searchable": False, "pending": 6}
        assert client.get("/api/v1/search", params={"q": "harbour"}).json()["total"] == 0
        assert client.get("/api/v1/health").json()["index"] == "behind"
        more = body.replace(b"Harbour", b"Harbour port")
        waited = client.post("/api/v1/articles/bulk?wait=true", content=more, headers=headers)
        last = json.loads(waited.text.splitlines()[-1])
        assert last == {"summary": {"lines": 6, "added": 6, "duplicate": 0, "error": 0}}
        # Waiting indexes the whole outbox before the first batch: the earlier rows too.
        assert client.get("/api/v1/search", params={"q": "harbour"}).json()["total"] == 12
        assert client.get("/api/v1/health").json()["in_sync"]


def test_a_single_write_does_not_wait_for_a_busy_index(settings: Settings) -> None:
    """An import holding the index for a batch: a single write is stored and answered after
    `own_index_wait`, its entry left pending (not an error), and applied once the index is free.
    (Without the bounded wait it would wait the write-lock timeout, until the holder let go,
    and then index its own entry: nothing would be pending.)"""
    archive = open_archive(
        settings.model_copy(update={"own_index_wait": 0.2, "write_lock_timeout": 600})
    )
    importer = open_archive(settings)  # another process's lock: its own file handle
    held, answered = threading.Event(), threading.Event()

    def hold_index() -> None:  # what an import's indexing batch does
        with importer.index_lock():
            held.set()
            answered.wait(timeout=60)

    holder = threading.Thread(target=hold_index)
    holder.start()
    try:
        assert held.wait(timeout=30)
        added = add_article(archive, item=make_item("The harbour reopened after the storm."))
        assert added.status == "added"
        assert pending(archive) == 1
        answered.set()
        holder.join()
        assert hits(archive, "harbour") == 0
        assert catch_up(archive) == 1
        assert hits(archive, "harbour") == 1
    finally:
        answered.set()
        holder.join()
        importer.close()
        archive.close()
