"""MappedFile must behave like the BytesIO it replaces in whoosh's BufferFile, without a copy."""

from __future__ import annotations

import io
import pickle

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.filedb.structfile import BufferFile

from app.search.whoosh.buffers import MappedFile, install

install()  # what WhooshBackend() does

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("read"), st.integers(-1, 40)),
        st.tuples(st.just("readline"), st.integers(-1, 40)),
        st.tuples(st.just("seek"), st.integers(0, 120), st.sampled_from([0, 1, 2])),
        st.tuples(st.just("tell")),
    ),
    max_size=30,
)


@given(st.binary(max_size=100), OPS)
@settings(max_examples=300, deadline=None)
def test_mapped_file_reads_like_bytesio(data: bytes, ops: list[tuple]) -> None:
    ours, theirs = MappedFile(memoryview(data)), io.BytesIO(data)
    for op, *args in ops:
        if op == "seek":
            offset, whence = args
            offset = offset if whence == 0 else offset - 60  # relative seeks go both ways
            start = {0: 0, 1: theirs.tell(), 2: len(data)}[whence]
            if start + offset < 0:
                continue
            assert ours.seek(offset, whence) == theirs.seek(offset, whence)
        else:
            assert getattr(ours, op)(*args) == getattr(theirs, op)(*args)


def test_buffer_files_read_the_mapped_bytes_in_place() -> None:
    payload = pickle.dumps({"terms": list(range(50))}, protocol=2) + b"tail\nline"
    view = memoryview(bytearray(payload))
    f = BufferFile(view, name="x")
    assert isinstance(f.file, MappedFile)
    assert f.read_pickle() == {"terms": list(range(50))}
    assert f.read(4) == b"tail" and f.get(0, 2) == payload[:2]
    f.close()
    view.release()  # possible only when nothing still exports the buffer


@given(
    st.lists(
        st.one_of(st.integers(), st.text(max_size=700), st.binary(max_size=900), st.none()),
        max_size=4,
    ),
    st.integers(0, 3),
)
@settings(max_examples=200, deadline=None)
def test_read_pickle_reads_short_and_long_pickles_in_sequence(items: list, n: int) -> None:
    # Pickles shorter and longer than the fast path's chunk, back to back: each value and the
    # position after it must be what pickle.load on a BytesIO gives.
    pickles = (pickle.dumps(items[i:], protocol=p) for i in range(len(items)) for p in (2, 5))
    payload = b"".join(pickles)
    payload += b"x" * n
    ours, theirs = BufferFile(memoryview(payload), name="x"), io.BytesIO(payload)
    while theirs.tell() < len(payload) - n:
        assert ours.read_pickle() == pickle.load(theirs)
        assert ours.tell() == theirs.tell()
    assert ours.read(n) == b"x" * n
