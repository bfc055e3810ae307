"""Near-duplicates among search results: the same story imported twice with small changes, or
carried by several outlets. Exact copies are refused at import (content hash); these are the
near ones, found by word shingles and Jaccard similarity."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

# The test itself lives in near_copies.py (story ids at import use it too); re-exported here.
from app.services.near_copies import (  # noqa: F401
    _WORD,
    CONTAINED,
    NEAR_DUPLICATE,
    SHINGLE_WORDS,
    _shingles,
    containment,
    jaccard,
    near_duplicates,
    shingles,
)
from app.services.searching import SearchPage


def group_near_duplicates(
    texts: Sequence[str], threshold: float = NEAR_DUPLICATE
) -> list[list[int]]:
    """Positions of `texts` grouped: each group starts with its first (best-ranked) member,
    followed by the later ones that are `near_duplicates` of it."""
    words = [_WORD.findall(t.casefold()) for t in texts]
    sets: dict[int, frozenset[int]] = {}

    def shingled(i: int) -> frozenset[int]:
        if i not in sets:
            sets[i] = _shingles(words[i])
        return sets[i]

    taken: set[int] = set()
    groups = []
    for i in range(len(texts)):
        if i in taken:
            continue
        group = [i]
        for j in range(i + 1, len(texts)):
            if j in taken:
                continue
            if near_duplicates(shingled(i), shingled(j), threshold):
                group.append(j)
                taken.add(j)
        groups.append(group)
    return groups


def collapse(page: SearchPage, threshold: float = NEAR_DUPLICATE) -> SearchPage:
    """The page with near-duplicates folded under their best-ranked copy (`similar`). Only
    copies on the same page are folded; `total` still counts every match."""
    groups = group_near_duplicates([i.article.body for i in page.items], threshold)
    items = [
        dataclasses.replace(page.items[g[0]], similar=[page.items[j].article for j in g[1:]])
        for g in groups
    ]
    return dataclasses.replace(page, items=items)
