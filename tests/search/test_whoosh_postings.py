"""Postings decoded into arrays (app.search.whoosh.postings) must be exactly what Whoosh's own
matchers read: ids across many blocks (delta-coded per block), weights, positions, inline lists;
and the cache of them must stay within its budget."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from whoosh import index as windex
from whoosh.analysis import StandardAnalyzer
from whoosh.fields import TEXT, Schema
from whoosh.formats import Positions

from app.search.whoosh.postings import PostingCache, positions, read_postings

WORDS = "oil war bank rate prime minister of the".split()


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("postings")
    schema = Schema(body=TEXT(analyzer=StandardAnalyzer(stoplist=None), phrase=True))
    ix = windex.create_in(str(folder), schema)
    rng = random.Random(3)
    writer = ix.writer()
    for docnum in range(1500):  # "the" in most documents: a dozen blocks of 128 postings
        n = rng.randint(1, 400)  # positions past 255 and 65,535 pickle differently
        words = [rng.choice(WORDS) for _ in range(n)]
        if docnum in (4, 700):
            words += ["filler"] * 70_000 + ["oil"]
        writer.add_document(body=" ".join(words))
    writer.commit()
    with ix.writer() as w:  # deletions stay in the postings; the scorer skips them
        for docnum in range(0, 1500, 9):
            w.delete_document(docnum)
    r = ix.reader()
    yield r
    r.close()


def _whooshs(reader: Any, word: str) -> tuple[list[int], list[float], list[list[int]]]:
    matcher = reader.postings("body", word)
    matcher = getattr(matcher, "child", matcher)  # around the deletions filter
    matcher.reset()
    ids, weights, spots = [], [], []
    fmt = Positions()
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        spots.append(fmt.decode_positions(matcher.value()))
        matcher.next()
    return ids, weights, spots


@pytest.mark.parametrize("word", [*WORDS, "filler"])
def test_postings_equal_whooshs_matcher(reader: Any, word: str) -> None:
    ids, weights, spots = _whooshs(reader, word)
    found = read_postings(reader, "body", word, values=True)
    assert found.ids.tolist() == ids
    assert found.tfs.tolist() == weights
    rows = np.arange(len(ids))[::3]  # a selection of rows, in order
    row, pos = positions(found, rows)
    expected = [(r, p) for r in range(len(rows)) for p in spots[int(rows[r])]]
    assert list(zip(row.tolist(), pos.tolist(), strict=True)) == expected


def test_a_long_list_spans_blocks(reader: Any) -> None:
    found = read_postings(reader, "body", "the", values=False)
    assert len(found.ids) > 1000 and found.spots is None
    assert np.all(np.diff(found.ids) > 0)


def test_cache_keeps_within_budget(reader: Any) -> None:
    one = read_postings(reader, "body", "the", values=False).nbytes()
    cache = PostingCache(max_bytes=int(one * 2.5), min_postings=100)
    for word in WORDS:
        cache.get("seg", reader, "body", word, False)
        assert cache._bytes <= cache.max_bytes
    assert 0 < len(cache._items) <= 2
    # The latest list is served from the cache: the same arrays, not read again.
    again = cache.get("seg", reader, "body", WORDS[-1], False)
    assert again is cache.get("seg", reader, "body", WORDS[-1], False)
    # A list kept with positions serves a read without them.
    cache = PostingCache(min_postings=100)
    with_positions = cache.get("seg", reader, "body", "prime", True)
    assert cache.get("seg", reader, "body", "prime", False) is with_positions
