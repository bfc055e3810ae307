"""The one-pass index-time analysis (app.search.whoosh.fastindex) must give exactly what
Whoosh's own analyzer chain gives: the same terms, frequencies, weights and positions per
field, and so an index with the same postings, stored fields and field lengths."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from whoosh import fields
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer
from whoosh.support.charset import accent_map

from app.search.base import IndexDoc
from app.search.whoosh import fastindex
from app.search.whoosh.analysis import TOKEN_PATTERN, NewsNormalizeFilter
from app.search.whoosh.backend import WhooshBackend, make_schema
from tests.conftest import CORPORA

TRICKY = [
    "",
    "U.S. and U.K. officials met the E.U.'s envoy; the U.S.' reply came at 2 p.m.",
    "Russia’s talks, Russia's talks and hens' eggs: don't, can’t, o'clock.",
    "Café São Paulo, Zürich, Ærø, naïve façade; ÉCOLE Straße İstanbul.",
    "Nord Stream 2 carries 55 bcm; 3.5% growth in 1987-88, F-16s and B-52s.",
    "The Talks talked talking TALKS: running runs ran; happiness, happily, happy.",
    "under_score snake_case __dunder__ ___ 2_000 x1 1x",
    "Αθήνα и Москва 北京 東京 — em—dash “quoted” ‘single’ … ellipsis",
    "the the the the the repeated repeated words words",
]


def _texts(corpora: Path | None) -> list[str]:
    texts = list(TRICKY)
    if corpora is not None:
        with (corpora / "reuters21578" / "reuters21578.derived.jsonl").open() as f:
            for number, line in enumerate(f):
                if number >= 150:
                    break
                story = json.loads(line)
                texts += [story.get("title") or "", story.get("body") or ""]
    return texts


@pytest.fixture
def texts() -> list[str]:
    return _texts(CORPORA if CORPORA.is_dir() else None)


def test_every_text_field_of_the_schema_takes_the_fast_path() -> None:
    schema = make_schema()
    for name in ("title", "title_exact", "body", "body_exact", "source", "people"):
        assert fastindex.plan_for(schema[name]) is not None, name


def test_fast_postings_equal_whooshs_for_every_field(texts: list[str]) -> None:
    schema = make_schema()
    for name in ("title", "title_exact", "body", "body_exact", "source", "people"):
        field = schema[name]
        plan = fastindex.plan_for(field)
        assert plan is not None
        for text in texts:
            assert plan(text) == list(fastindex._original_index(field, text)), (name, text)


def test_other_analyzers_keep_whooshs_own_path() -> None:
    # An index made before NewsFoldFilter has the three filters it replaced in its schema.
    old = (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | NewsNormalizeFilter()
    )
    field = fields.TEXT(analyzer=old, phrase=True)
    assert fastindex.plan_for(field) is None
    fastindex.install()
    expected = list(fastindex._original_index(field, "U.S. Café talks"))
    assert list(field.index("U.S. Café talks")) == expected
    assert [term for term, *_ in expected] == [b"us", b"cafe", b"talks"]


def _docs(texts: list[str]) -> list[IndexDoc]:
    bodies = [t for t in texts if t.strip()]
    return [
        IndexDoc(
            id=i + 1,
            title=bodies[(i * 7) % len(bodies)][:120],
            body=body,
            published=dt.date(1987, 1 + i % 12, 1 + i % 28),
            source=["Reuters", "Le Monde", None][i % 3],
            people=(("Ann Lee", "José Núñez") if i % 2 else ()),
            content_hash=f"h{i}",
            title_derived=i % 5 == 0,
        )
        for i, body in enumerate(bodies)
    ]


def _dump(path: Path) -> dict[str, Any]:
    """Everything an index holds for searching: per field, every term's postings (document,
    weight, positions when kept), stored fields, field lengths and the document count."""
    backend = WhooshBackend(path)
    try:
        with backend._searcher() as s:
            reader = s.reader()
            out: dict[str, Any] = {"count": reader.doc_count_all()}
            terms: dict[tuple[str, bytes], list[Any]] = {}
            for fieldname, btext in reader.all_terms():
                field = reader.schema[fieldname]
                postings = reader.postings(fieldname, btext)
                kind = "positions" if field.format.supports("positions") else "weight"
                terms[(fieldname, btext)] = [
                    (doc, round(weight, 6)) for doc, weight in postings.items_as("weight")
                ]
                if kind == "positions":
                    again = reader.postings(fieldname, btext)
                    terms[(fieldname, btext)].append(list(again.items_as("positions")))
            out["terms"] = terms
            docnums = range(reader.doc_count_all())
            out["stored"] = [reader.stored_fields(d) for d in docnums]
            out["lengths"] = {
                name: [reader.doc_field_length(d, name) for d in docnums]
                for name in ("title", "title_exact", "body", "body_exact", "source", "people")
            }
            return out
    finally:
        backend.close()


@pytest.mark.parametrize("batches", [1, 3])
def test_index_built_fast_equals_index_built_by_whoosh(
    tmp_path: Path, texts: list[str], monkeypatch: pytest.MonkeyPatch, batches: int
) -> None:
    docs = _docs(texts)
    step = -(-len(docs) // batches)
    fast_path, slow_path = tmp_path / "fast", tmp_path / "slow"
    fast = WhooshBackend(fast_path)
    for start in range(0, len(docs), step):
        fast.upsert(docs[start : start + step])
    fast.close()
    with monkeypatch.context() as m:
        m.setattr(fastindex, "install", lambda: None)
        m.setattr(fields.TEXT, "index", fastindex._original_index)
        slow = WhooshBackend(slow_path)
        for start in range(0, len(docs), step):
            slow.upsert(docs[start : start + step])
        slow.close()
        expected = _dump(slow_path)
    assert fields.TEXT.index is fastindex._index  # the fast path was the one used above
    got = _dump(fast_path)
    assert got["count"] == expected["count"] == len(docs)
    assert got["stored"] == expected["stored"]
    assert got["lengths"] == expected["lengths"]
    assert got["terms"].keys() == expected["terms"].keys()
    assert got["terms"] == expected["terms"]
