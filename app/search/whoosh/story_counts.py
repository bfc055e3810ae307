"""Counts by story (count=stories) from the per-document values (docvalues.py): for each value of
a field, the number of distinct stories among the matches having it, so a wire story carried by
twelve papers counts once per month, source or author, not twelve times.

Each count is a NumPy unique over (value, story) pairs of the matches: one sort, no Python loop
over documents. A document without a story id is a story of its own (DocValues.story_keys)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from app.search.base import StoryField
from app.search.whoosh.docvalues import DocValues
from app.search.whoosh.postings import IntArray

# YYYYMMDD divided by this is the bucket: the day, the month (YYYYMM) or the year (YYYY).
_DATE_DIVISOR = {"day": 1, "month": 100, "year": 10_000}


def _distinct_per_value(values: IntArray, stories: IntArray) -> tuple[IntArray, IntArray]:
    """(value, number of distinct stories) for each value present in the aligned arrays."""
    if not len(values):
        empty = np.zeros(0, np.int64)
        return empty, empty
    # Dense story codes, so that one int64 holds a (value, story) pair without overflow.
    _, codes = np.unique(stories, return_inverse=True)
    width = int(codes.max()) + 1
    pairs = np.unique(values.astype(np.int64) * width + codes)
    return np.unique(pairs // width, return_counts=True)


def _date_key(bucket: int, field: str) -> str:
    if field == "year":
        return f"{bucket:04d}"
    if field == "month":
        return f"{bucket // 100:04d}-{bucket % 100:02d}"
    return f"{bucket // 10000:04d}-{bucket // 100 % 100:02d}-{bucket % 100:02d}"


def _named(
    codes: NDArray[np.int32], names: list[str], docnums: IntArray, stories: IntArray
) -> dict[str, int]:
    found, counts = _distinct_per_value(codes[docnums], stories)
    return {names[v]: int(n) for v, n in zip(found.tolist(), counts.tolist(), strict=True)}


def count_stories(
    values: DocValues, docnums: IntArray, fields: tuple[StoryField, ...]
) -> dict[StoryField, dict[str, int]]:
    """For each field, distinct stories of the matches `docnums` per value (as facet_counts:
    "no_source" / "no_author" as {"": n}; days, months and years as YYYY[-MM[-DD]])."""
    stories = values.story_keys()[docnums]
    out: dict[StoryField, dict[str, int]] = {}
    for field in fields:
        if field in ("source", "no_source"):
            codes, names = values._source_codes()
            counted = _named(codes, names, docnums, stories)
            none = counted.pop("", 0)
            out[field] = counted if field == "source" else {"": none}
        elif field == "language":
            codes, names = values._language_codes()
            counted = _named(codes, names, docnums, stories)
            counted.pop("", None)
            out[field] = counted
        elif field == "author":
            docs, codes, names = values._person_pairs()
            chosen = np.zeros(len(values.people), bool)
            chosen[docnums] = True
            keys = values.story_keys()
            rows = chosen[docs]
            found, counts = _distinct_per_value(codes[rows], keys[docs[rows]])
            out[field] = {
                names[v]: int(n) for v, n in zip(found.tolist(), counts.tolist(), strict=True)
            }
        elif field == "no_author":
            alone = values.unattributed()[docnums]
            out[field] = {"": len(np.unique(stories[alone]))}
        else:
            dates = values.date_array()[docnums].astype(np.int64)
            dated = dates > 0
            buckets = dates[dated] // _DATE_DIVISOR[field]
            found, counts = _distinct_per_value(buckets, stories[dated])
            out[field] = {
                _date_key(b, field): int(n)
                for b, n in zip(found.tolist(), counts.tolist(), strict=True)
            }
    return out
