""" "Did you mean": a corrected query when some words of a query are not in the archive at all.

Corrections come from the archive's own vocabulary: every spelling one edit away (a letter
dropped, added, changed or two swapped) that the index knows, the most widespread one winning.
The same for every backend: it only needs `doc_frequencies`.
"""

from __future__ import annotations

import dataclasses
import re
import string

from app.archive import Archive
from app.search import query as q
from app.search.query import parse_query, to_text
from app.services.searching import SearchParams, search_articles

# Suggest only when a search finds this many results or fewer.
FEW_RESULTS = 2
MIN_WORD, MAX_WORD = 3, 30
_LETTERS = re.compile(r"^[^\W\d_]+$")


def one_edit(word: str) -> set[str]:
    """Every string one deletion, transposition, substitution or insertion away."""
    letters = set(string.ascii_lowercase) | set(word)
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in letters}
    out |= {a + c + b for a, b in splits for c in letters}
    out.discard(word)
    return {w for w in out if len(w) >= 2}


def _unknown_words(archive: Archive, node: q.Node) -> list[str]:
    words = [
        leaf.text.lower()
        for leaf in q.positive_leaves(node)
        if isinstance(leaf, q.Term)
        and leaf.field in (None, "title", "body")
        and _LETTERS.match(leaf.text)
        and MIN_WORD <= len(leaf.text) <= MAX_WORD
    ]
    known = archive.search.doc_frequencies(words) if words else {}
    return [w for w in dict.fromkeys(words) if known.get(w, 0) == 0]


def _replace(node: q.Node, fixes: dict[str, str]) -> q.Node:
    if isinstance(node, q.Term):
        fixed = fixes.get(node.text.lower())
        return dataclasses.replace(node, text=fixed) if fixed else node
    if isinstance(node, q.Not):
        return q.Not(_replace(node.child, fixes))
    if isinstance(node, q.And | q.Or):
        return type(node)(tuple(_replace(c, fixes) for c in node.children))
    return node


def did_you_mean(archive: Archive, *, params: SearchParams, total: int) -> str | None:
    """A corrected query that finds more than `total` results, or None."""
    if not params.q or total > FEW_RESULTS:
        return None
    node = parse_query(params.q)
    if node is None:
        return None
    fixes: dict[str, str] = {}
    for word in _unknown_words(archive, node):
        candidates = sorted(one_edit(word))
        counts = archive.search.doc_frequencies(candidates)
        best = max(candidates, key=lambda c: (counts.get(c, 0), c == word), default=None)
        if best is not None and counts.get(best, 0) > 0:
            fixes[word] = best
    if not fixes:
        return None
    corrected = to_text(_replace(node, fixes))
    better = search_articles(
        archive,
        params=dataclasses.replace(params, q=corrected, page=1, page_size=1),
        snippets=False,
    )
    return corrected if better.total > total else None
