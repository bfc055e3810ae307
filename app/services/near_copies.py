"""The near-duplicate test itself: word shingles and Jaccard similarity or containment (used by
search-time folding, app.services.dedup, and by story ids at import, app.services.stories, which
must agree). No other imports, so the writers can use it without the search service."""

from __future__ import annotations

import re

SHINGLE_WORDS = 5
# Syndicated copies differ by a dateline, a byline or a sentence; different stories on the same
# event share far fewer 5-word runs.
NEAR_DUPLICATE = 0.7
# A copy cut short by an outlet, or an early version a later one extends, shares nearly all of
# its runs with the longer text, yet their Jaccard similarity can be low (0.62 for a BBC story
# entirely contained in a longer one: bench/dedup.py). Updated stories that rewrite part of the
# text stay apart (the BBC pairs below 0.7 Jaccard that are not contained: 0.73-0.87).
CONTAINED = 0.9
_WORD = re.compile(r"\w+")


def shingles(text: str, size: int = SHINGLE_WORDS) -> frozenset[int]:
    """Hashes of every run of `size` consecutive words (case and punctuation ignored)."""
    return _shingles(_WORD.findall(text.casefold()), size)


def _shingles(words: list[str], size: int = SHINGLE_WORDS) -> frozenset[int]:
    if len(words) < size:
        return frozenset({hash(tuple(words))}) if words else frozenset()
    # zip over shifted views builds the runs in C, each hashed once (tuples do not keep their
    # hash: comparing sets of tuples rehashed every run for every pair of results)
    return frozenset(map(hash, zip(*(words[k:] for k in range(size)), strict=False)))


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b)  # the union's size follows; building it cost as much again
    return shared / (len(a) + len(b) - shared)


def containment(a: frozenset[int], b: frozenset[int]) -> float:
    """The share of the smaller set found in the larger one."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def near_duplicates(
    a: frozenset[int], b: frozenset[int], threshold: float = NEAR_DUPLICATE
) -> bool:
    """Copies of one story: mostly the same runs of words, or one nearly all inside the other."""
    if not a or not b:
        return False
    shared = len(a & b)
    small, large = sorted((len(a), len(b)))
    return shared / (small + large - shared) >= threshold or shared / small >= CONTAINED
