"""Every posting of a committed segment, read a term's blocks at a time, for merging it.

Whoosh merges a segment by walking each term's matcher (several Python calls per posting) into
its posting pool, which pickles every posting to a run file on disk and reads it back: 40 % of
a 7,000-article merge (cProfile, docs/performance.md). Here a term's posting bytes are read in
one piece and each block unpickled once, giving exactly what the matcher gives: document
number, weight (as stored: float32) and value bytes. Used by bulkwriter.py only.
"""

from __future__ import annotations

import io
import pickle
import zlib
from itertools import accumulate
from typing import Any

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo, W3TermsReader
from whoosh.filedb.filestore import OverlayStorage
from whoosh.reading import CorruptIndexError, SegmentReader
from whoosh.system import unpack_int

# (document number, weight, value bytes or None), as the matcher gives them
Posting = tuple[int, float, bytes | None]


class SourceSegment:
    """A segment added to a writer (`add_reader`): where its documents went, and its terms."""

    def __init__(self, reader: Any, startdoc: int, docmap: dict[int, int] | None) -> None:
        storage = reader._storage
        # Reopened at the commit (the caller closes its reader after add_reader): the
        # segment's files stay until the commit's new table of contents is written.
        self.storage = storage.b if isinstance(storage, OverlayStorage) else storage
        self.segment = reader._segment
        self.schema = reader.schema
        self.startdoc = startdoc
        self.docmap = docmap
        self.reader: Any = None
        self.terms: dict[str, dict[bytes, bytes]] = {}

    @staticmethod
    def readable(reader: Any) -> bool:
        return type(reader) is SegmentReader and type(reader._terms) is W3TermsReader

    def open(self) -> bool:
        """Open the segment and read its term table; False if a term's postings are inlined
        in the table (never written so by whoosh3 as configured): Whoosh's path then."""
        self.reader = SegmentReader(self.storage, self.schema, self.segment)
        terms = self.reader._terms
        decode = terms._keydecoder
        for keybytes, valbytes in terms._tindex.items():
            if valbytes[0]:  # W3TermInfo's flags: inlined postings
                return False
            fieldname, tbytes = decode(keybytes)
            self.terms.setdefault(fieldname, {})[tbytes] = valbytes
        return True

    def close(self) -> None:
        if self.reader is not None:
            self.reader.close()
            self.reader = None

    def postings(self, fieldname: str, valbytes: bytes) -> list[Posting]:
        """A term's postings with their numbers in the new segment (deleted ones left out)."""
        fixed = self.schema[fieldname].format.fixed_value_size()
        read = read_term(self.reader._terms._postfile, valbytes, fixed)
        base, docmap = self.startdoc, self.docmap
        if docmap is None:
            return [(base + d, w, v) for d, w, v in read]
        return [(docmap[d], w, v) for d, w, v in read if d in docmap]


def read_term(postfile: Any, valbytes: bytes, fixed: int | None) -> list[Posting]:
    """Decode one term's posting blocks as W3LeafMatcher does (`_goto`, `_read_data`,
    `_read_ids`, `_read_weights`, `_read_values`)."""
    offset, length = W3TermInfo.from_bytes(valbytes).extent()
    if isinstance(length, tuple):  # whoosh3 3.54's from_bytes keeps the unpacked 1-tuple
        length = length[0]
    raw = postfile.get(offset, length)
    if raw[:4] != WHOOSH3_HEADER_MAGIC:
        raise CorruptIndexError(f"bad postings block tag at offset {offset}")
    stream = io.BytesIO(raw)
    out: list[Posting] = []
    pos = 4
    while True:
        size = unpack_int(raw[pos : pos + 4])[0]
        last = size < 0
        end = pos + 4 + abs(size)
        stream.seek(pos + 4)
        count, _maxid, _maxweight, compression, _minlen, _maxlen = pickle.load(stream)
        data = raw[stream.tell() : end]
        ids, weights, values = pickle.loads(zlib.decompress(data) if compression else data)
        if weights is None:
            weights = (1.0,) * count
        elif isinstance(weights, float):
            weights = (weights,) * count
        if fixed is None or fixed < 0:
            pass
        elif fixed == 0:
            values = (None,) * count
        else:
            values = tuple(values[i : i + fixed] for i in range(0, len(values), fixed))
        out.extend(zip(accumulate(ids), weights, values, strict=True))
        if last:
            return out
        pos = end
