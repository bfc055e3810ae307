"""BulkSegmentWriter (app.search.whoosh.bulkwriter) must write the segment files Whoosh's own
SegmentWriter writes for the same documents, byte for byte: term table, postings, lengths,
stored fields and columns. Real text (Reuters) in every language family of the schema."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from whoosh.reading import SegmentReader
from whoosh.writing import PostingPool, SegmentWriter

from app.search.base import IndexDoc
from app.search.whoosh import bulkwriter, fastindex
from app.search.whoosh.backend import WhooshBackend, make_schema
from app.search.whoosh.bulkwriter import BulkSegmentWriter
from app.search.whoosh.fastindex import install
from tests.conftest import CORPORA

TEXTS = [
    "U.S. and U.K. officials met the E.U.'s envoy; the U.S.' reply came at 2 p.m.",
    "Café São Paulo, Zürich, Ærø, naïve façade; ÉCOLE Straße İstanbul.",
    "the the the the the repeated repeated words words " * 40,
    "Αθήνα и Москва 北京 東京 — em—dash “quoted” ‘single’ … ellipsis",
]
LANGUAGES = [None, "en", "fr", "de", "es", "ru", "zh", "ja", "it"]


def _texts() -> list[str]:
    texts = list(TEXTS)
    path = CORPORA / "reuters21578" / "reuters21578.derived.jsonl"
    if path.is_file():
        with path.open() as f:
            for number, line in enumerate(f):
                if number >= 400:
                    break
                body = json.loads(line).get("body") or ""
                if body.strip():
                    texts.append(body)
    return texts


def _docs(count: int | None = None) -> list[IndexDoc]:
    texts = _texts()[:count]
    return [
        IndexDoc(
            id=i + 1,
            title=texts[(i * 7) % len(texts)][:120],
            body=body,
            published=dt.date(1987, 1 + i % 12, 1 + i % 28),
            source=["Reuters", "Le Monde", None][i % 3],
            people=(("Ann Lee", "José Núñez") if i % 2 else ()),
            content_hash=f"h{i}",
            title_derived=i % 5 == 0,
            language=LANGUAGES[i % len(LANGUAGES)],
            story_id=i // 3 + 1,
        )
        for i, body in enumerate(texts)
    ]


def _build(
    path: Path,
    make: Callable[..., Any],
    docs: list[IndexDoc],
    before: Sequence[IndexDoc] = (),
    deleted: Sequence[int] = (),
    *,
    pool_ok: bool = True,
) -> dict[str, bytes]:
    """One segment written by `make` (non-compound, so its files can be compared), after an
    optional first segment of `before` that it merges in; {extension: file bytes}."""
    install()
    # Fresh analysis plans, so that none is dropped half way (fastindex keeps 1,024; a whole
    # test run makes more): a plan shares the encoded value of a lone position between
    # postings, and pickle writes a shared object once, so the bytes (not what they decode
    # to) depend on it, in Whoosh's writer as in ours.
    fastindex._plans.clear()
    backend = WhooshBackend(path)  # creates the index, gives the field values
    ix = backend._index()
    if before:
        first = SegmentWriter(ix, compound=False)
        for doc in before:
            first.add_document(**backend._fields(doc))
        first.commit()

    def merge_all(w: Any, segments: list[Any]) -> list[Any]:
        for segment in segments:
            reader = SegmentReader(w.storage, w.schema, segment)
            w.add_reader(reader)
            reader.close()
        return []

    with pytest.MonkeyPatch.context() as m:
        if not pool_ok:  # the bulk path must not fall back to Whoosh's pool unnoticed
            m.setattr(PostingPool, "add", _no_pool)
        writer = make(ix, compound=False)
        for docnum in deleted:  # in the first segment: left out of the merged one
            writer.delete_document(docnum)
        for doc in docs:
            writer.add_document(**backend._fields(doc))
        writer.commit(mergetype=merge_all if before else None)

    segment = ix._read_toc().segments[-1]
    backend.close()
    prefix = segment.segment_id()
    return {
        p.name[len(prefix) :]: p.read_bytes() for p in path.iterdir() if p.name.startswith(prefix)
    }


def _no_pool(self: Any, item: Any) -> None:
    raise AssertionError(f"posting sent to Whoosh's pool: {item!r}")


def _same_files(
    tmp_path: Path,
    docs: list[IndexDoc],
    before: Sequence[IndexDoc] = (),
    deleted: Sequence[int] = (),
    *,
    pool_ok: bool = False,
) -> None:
    expected = _build(tmp_path / "whoosh", SegmentWriter, docs, before, deleted)
    got = _build(tmp_path / "bulk", BulkSegmentWriter, docs, before, deleted, pool_ok=pool_ok)
    assert {".trm", ".pst"} <= expected.keys()
    assert got.keys() == expected.keys()
    for ext in expected:
        assert got[ext] == expected[ext], ext


def test_bulk_segment_files_equal_whooshs(tmp_path: Path) -> None:
    _same_files(tmp_path, _docs())


def test_a_batch_spilled_into_whooshs_pool_writes_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulkwriter, "MAX_POSTINGS", 2_000)  # spills after a few documents
    _same_files(tmp_path, _docs(), pool_ok=True)


def test_a_merged_segment_is_written_the_same(tmp_path: Path) -> None:
    docs = _docs()
    _same_files(tmp_path, docs[40:], before=docs[:40])


def test_a_merged_segment_with_deletions_is_written_the_same(tmp_path: Path) -> None:
    docs = _docs()
    # Document 0 is the only one holding some terms: they must vanish, not stay empty.
    _same_files(tmp_path, docs[40:], before=docs[:40], deleted=[0, 3, 4, 39])


def test_a_merge_alone_is_written_the_same(tmp_path: Path) -> None:
    docs = _docs()
    _same_files(tmp_path, [], before=docs, deleted=[1, 2])


def test_a_document_that_fails_leaves_no_postings(tmp_path: Path) -> None:
    docs = _docs(30)
    expected = _build(tmp_path / "whoosh", SegmentWriter, docs)

    def failing_once(ix: Any, **kwargs: Any) -> BulkSegmentWriter:
        writer = BulkSegmentWriter(ix, **kwargs)
        real = writer.add_document

        def add(**fields: Any) -> None:
            if fields["id"] == "5" and not getattr(writer, "_failed", False):
                writer._failed = True  # type: ignore[attr-defined]
                with pytest.raises(ValueError):
                    real(**{**fields, "date": "not a number"})
            real(**fields)

        writer.add_document = add  # type: ignore[method-assign]
        return writer

    got = _build(tmp_path / "bulk", failing_once, docs)
    # The per-document writer's columns keep the failed document's first values (Whoosh's own
    # behaviour); the postings must not, or the retried document would be counted twice.
    for ext in (".trm", ".pst"):
        assert got[ext] == expected[ext], ext


def test_the_backend_writes_through_the_bulk_writer(tmp_path: Path) -> None:
    schema = make_schema()
    assert not any(f.vector or f.separate_spelling() for _, f in schema.items())
    backend = WhooshBackend(tmp_path / "ix", processes=1)
    docs = _docs(60)
    backend.upsert(docs)
    backend.upsert(docs[:10])  # replaced, not added twice
    with backend._writer() as writer:
        assert isinstance(writer, BulkSegmentWriter) and writer._bulk
    assert backend.doc_count() == len(docs)
    backend.close()
