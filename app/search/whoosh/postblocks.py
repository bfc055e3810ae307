"""One term's posting blocks and term-table entry, encoded as whoosh3 encodes them.

The same bytes as `W3PostingsWriter` (`start_postings`, `_write_block`, `finish_postings`)
and `W3FieldWriter.finish_term` write, with the block statistics computed from whole lists
instead of an object per block and a method call per statistic: after bulk gathering
(bulkwriter.py), Whoosh's block writer was most of what was left of writing a segment
(cProfile, docs/performance.md). tests/search/test_whoosh_bulkwriter.py compares the files.
Used by bulkwriter.py only.
"""

from __future__ import annotations

import zlib
from array import array
from operator import sub
from pickle import dumps
from typing import Any

from whoosh.codec.whoosh3 import COMPRESSION_MIN_SIZE, WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.system import pack_int, pack_ushort
from whoosh.util.numeric import length_to_byte

# (document number, weight, value bytes or None)
Posting = tuple[int, float, bytes | None]


def write_term(
    fw: Any, tbytes: bytes, posts: list[Posting], lengths: dict[int, int | None]
) -> None:
    """Write a term's postings (in document order) to the field writer's postings file and
    its entry to the term table. `fw` is a W3FieldWriter inside start_field."""
    pw = fw._postwriter
    postfile = pw._postfile
    limit = pw._blocklimit
    compression = pw._compression
    fixed = fw._format.fixed_value_size()
    write = postfile.write
    start = postfile.tell()
    write(WHOOSH3_HEADER_MAGIC)
    # The term's statistics, accumulated block by block as W3TermInfo.add_block does.
    total: Any = 0
    minlength: int | None = None
    maxlength = 0
    maxweight: Any = 0
    for at in range(0, len(posts), limit):
        block = posts[at : at + limit]
        ids = [p[0] for p in block]
        given = [p[1] for p in block]
        weights = array("f", given)
        values = [p[2] for p in block if p[2]]
        # add_posting's statistics: the weight as given (not the float32 stored), from 0.
        block_maxweight = max(0, max(given))
        known = [n for n in map(lengths.get, ids) if n]
        block_min = min(known) if known else None
        block_max = max(known) if known else 0
        total += sum(weights)
        minlength = block_min if minlength is None else min(minlength, block_min)  # type: ignore[type-var]
        maxlength = max(maxlength, block_max)
        maxweight = max(maxweight, block_maxweight)
        # _write_block's minified lists
        count = len(ids)
        mini_weights: Any
        if weights.count(1.0) == count:
            mini_weights = None
        elif weights.count(weights[0]) == count:
            mini_weights = weights[0]
        else:
            mini_weights = tuple(weights)
        mini_values: Any
        if fixed is None or fixed < 0:
            mini_values = tuple(values)
        elif fixed == 0:
            mini_values = None
        else:
            mini_values = b"".join(values)
        deltas = (ids[0], *map(sub, ids[1:], ids[:-1]))
        data = dumps((deltas, mini_weights, mini_values), 2)
        comp = compression if len(data) >= COMPRESSION_MIN_SIZE else 0
        if comp:
            data = zlib.compress(data, comp)
        info = dumps(
            (
                count,
                ids[-1],
                block_maxweight,
                comp,
                length_to_byte(block_min),
                length_to_byte(block_max),
            ),
            2,
        )
        size = len(info) + len(data)
        write(pack_int(-size if at + limit >= len(posts) else size))
        write(info)
        write(data)
    terminfo = W3TermInfo(
        weight=total,
        df=len(posts),
        minlength=minlength,
        maxlength=maxlength,
        maxweight=maxweight,
        minid=posts[0][0],
        maxid=posts[-1][0],
    )
    terminfo.set_extent(start, postfile.tell() - start)
    fw._tindex.add(pack_ushort(fw._fieldid) + tbytes, terminfo.to_bytes())
