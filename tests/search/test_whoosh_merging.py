"""Merges never hold the index's write lock for long (app.search.whoosh.merging, issue 17 C14):
a commit folds only small segments, and the background merge keeps every document, deletions
and replacements made while it ran included."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest

from app.search import query as q
from app.search.base import IndexDoc, SearchRequest
from app.search.whoosh import merging
from app.search.whoosh import segments as segment_files
from app.search.whoosh.backend import WhooshBackend

WORDS = "harbour storm calm market tide ferry quay lantern".split()


def doc(n: int, extra: str = "") -> IndexDoc:
    text = f"Report {n}: the {WORDS[n % len(WORDS)]} and the {WORDS[(n * 3) % len(WORDS)]}. {extra}"
    return IndexDoc(
        id=n,
        title=f"Note {n}",
        body=text,
        published=dt.date(2020, 1 + n % 12, 1),
        source="Wire",
        people=(),
        content_hash=f"{n}{extra}",
    )


def batch(start: int, size: int) -> list[IndexDoc]:
    return [doc(n) for n in range(start, start + size)]


def segments(backend: WhooshBackend) -> dict[str, int]:
    return {s.segment_id(): s.doc_count_all() for s in backend._index()._segments()}


def ids_for(backend: WhooshBackend, word: str) -> list[int]:
    hits = backend.search(SearchRequest(query=q.Term(word), limit=10_000, exact_total=True))
    return sorted(hits.ids)


@pytest.fixture
def backend(tmp_path: Path) -> Any:
    b = WhooshBackend(tmp_path / "index")
    yield b
    b.close()


def test_a_small_commit_leaves_the_batches_segments_alone(backend: WhooshBackend) -> None:
    # Twelve batch segments: Whoosh's MERGE_SMALL folded all of them into the next commit,
    # a single write here (in production: 6,000 documents, 208 s under the lock).
    size = merging.SMALL_SEGMENT_DOCS + 10
    for start in range(0, 12 * size, size):
        backend.upsert(batch(start, size))
    big = {k for k, n in segments(backend).items() if n > merging.SMALL_SEGMENT_DOCS}
    assert len(big) == 12
    backend.upsert([doc(10_000)])
    after = segments(backend)
    assert big <= set(after), "a single write merged batch segments under the write lock"
    assert len(after) == 13
    assert backend.doc_count() == 12 * size + 1


def test_commits_fold_small_segments_within_a_bound(backend: WhooshBackend) -> None:
    backend.upsert(batch(0, 300))  # one big segment, never folded by a commit
    for n in range(1000, 1000 + 3 * merging.SMALL_MERGE_MIN):
        backend.upsert([doc(n)])
        small = [k for k, c in segments(backend).items() if c <= merging.SMALL_SEGMENT_DOCS]
        # Folded once there are SMALL_MERGE_MIN of them: the count never grows past that.
        assert len(small) <= merging.SMALL_MERGE_MIN
    assert max(segments(backend).values()) == 300
    assert backend.doc_count() == 300 + 3 * merging.SMALL_MERGE_MIN


def test_plan_merges_a_full_tier_smallest_first() -> None:
    class Seg:
        def __init__(self, docs: int, deleted: int = 0) -> None:
            self.docs, self.deleted = docs, deleted

        def doc_count_all(self) -> int:
            return self.docs

        def deleted_count(self) -> int:
            return self.deleted

    tier2 = [Seg(500), Seg(300), Seg(900), Seg(120)]
    assert merging.plan_merge([Seg(50_000), *tier2[:3], Seg(5)]) == []
    planned = merging.plan_merge([Seg(50_000), *tier2, Seg(5)])
    assert [s.docs for s in planned] == [120, 300, 500, 900]
    # Small segments are the commits' to fold, never the background merge's.
    assert merging.plan_merge([Seg(5), Seg(7), Seg(60), Seg(90), Seg(3)]) == []
    # Deleted documents do not count towards a segment's tier.
    assert merging.tier_of(Seg(5000, deleted=4950)) == 1


def test_background_merge_keeps_every_document_and_changes_made_meanwhile(
    backend: WhooshBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = 150
    for start in range(0, 4 * size, size):
        backend.upsert(batch(start, size))
    backend.delete([3])  # deleted before the merge: left out of the merged segment
    before = {w: ids_for(backend, w) for w in WORDS}
    write_merged = merging._write_merged

    def and_meanwhile(*args: Any) -> Any:
        out = write_merged(*args)
        # Writers go on while the merged segment is written (no lock is held).
        backend.delete([1, 2, 599])
        backend.upsert([doc(10, extra="lighthouse")])  # a replacement: delete + add
        return out

    monkeypatch.setattr(merging, "_write_merged", and_meanwhile)
    assert backend.merge_segments() == 4
    after = segments(backend)
    assert sorted(after.values()) == [1, 4 * size - 1]  # the merged one, and the replacement
    assert backend.doc_count() == 4 * size - 1 - 3
    gone = {1, 2, 3, 599}
    for word in WORDS:  # document 10 kept its words: only the deleted ones are gone
        assert ids_for(backend, word) == [i for i in before[word] if i not in gone]
    assert ids_for(backend, "lighthouse") == [10]
    assert sorted(backend.versions()) == sorted(set(range(4 * size)) - gone)
    assert not any((backend.path / merging.MERGE_FOLDER).iterdir())
    backend._verify(thorough=True)  # the merged file's checksum was recorded


def test_a_merge_whose_segments_were_merged_meanwhile_is_dropped(
    backend: WhooshBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    for start in range(0, 4 * 150, 150):
        backend.upsert(batch(start, 150))
    write_merged = merging._write_merged

    def and_merged_elsewhere(ix: Any, toc: Any, chosen: list[Any], folder: Path) -> Any:
        out = write_merged(ix, toc, chosen, folder)
        ix.writer().commit(optimize=True)  # another merge got there first
        return out

    monkeypatch.setattr(merging, "_write_merged", and_merged_elsewhere)
    assert backend.merge_segments() == 0
    assert len(segments(backend)) == 1
    assert sorted(backend.versions()) == list(range(600))
    assert not any((backend.path / merging.MERGE_FOLDER).iterdir())
    names = {p.name for p in backend.path.iterdir() if p.suffix == ".seg"}
    assert len(names) == 1  # the dropped merge left no segment file behind


def test_one_merge_at_a_time(backend: WhooshBackend) -> None:
    for start in range(0, 4 * 150, 150):
        backend.upsert(batch(start, 150))
    with merging._local:  # another thread of this process is merging
        assert backend.merge_segments() == 0
    assert len(segments(backend)) == 4
    assert backend.merge_segments() == 4
    assert len(segments(backend)) == 1


def test_bytes_of_merged_away_segments_leave_the_process_cache(backend: WhooshBackend) -> None:
    # Searchers keep a segment's small files (term dictionaries, columns) in a process-wide
    # cache; a merge removes those files, and their bytes must not stay until the cache's
    # byte limit evicts them (a writing server grew by that much, issue 17 E21).
    size = merging.SMALL_SEGMENT_DOCS + 10
    for start in range(0, 4 * size, size):
        backend.upsert(batch(start, size))
    assert len(ids_for(backend, "harbour")) > 0

    def mine() -> set[tuple[str, int]]:
        return {f for f in segment_files.cached_files() if Path(f[0]).parent == backend.path}

    before = mine()
    assert before, "the searcher read no segment file whole"
    assert backend.merge_segments() == 4
    assert len(ids_for(backend, "harbour")) > 0  # opens the merged segment's files
    after = mine()
    assert after and not (after & before), "files merged away are still cached"
    for path, inode in after:
        assert Path(path).stat().st_ino == inode


def test_a_server_merges_in_a_child_process(backend: WhooshBackend, monkeypatch: Any) -> None:
    # The worker's memory must not keep a merge's pools (issue 17 E21): the merge runs in a
    # spawned process, so failing it in this one changes nothing.
    size = merging.SMALL_SEGMENT_DOCS + 10
    for start in range(0, 4 * size, size):
        backend.upsert(batch(start, size))
    expected = ids_for(backend, "harbour")

    def not_here(*args: Any, **kwargs: Any) -> int:
        raise AssertionError("merged inside the server's own process")

    monkeypatch.setattr("app.search.whoosh.backend.merge_segments", not_here)
    assert backend.merge_segments(separate_process=True) == 4
    assert len(segments(backend)) == 1
    assert ids_for(backend, "harbour") == expected
    assert backend.health().ok


def test_no_process_is_started_when_no_merge_is_due(
    backend: WhooshBackend, monkeypatch: Any
) -> None:
    backend.upsert(batch(0, merging.SMALL_SEGMENT_DOCS + 10))

    def no_child(*args: Any, **kwargs: Any) -> int:
        raise AssertionError("a merge process was started with nothing to merge")

    monkeypatch.setattr("app.search.whoosh.backend.merge_in_child", no_child)
    assert backend.merge_segments(separate_process=True) == 0


def test_a_stopped_merge_process_leaves_the_index_whole(backend: WhooshBackend) -> None:
    size = merging.SMALL_SEGMENT_DOCS + 10
    for start in range(0, 4 * size, size):
        backend.upsert(batch(start, size))
    expected = ids_for(backend, "harbour")
    stop = threading.Event()
    stop.set()
    assert backend.merge_segments(stop, separate_process=True) == 0
    assert ids_for(backend, "harbour") == expected
    assert backend.merge_segments() == 4  # the next merge clears what the stopped one left
    assert ids_for(backend, "harbour") == expected
