"""One result per story over a whole match set (SearchRequest.fold_stories), from the story ids
kept per document (docvalues.py): the best-ranked copy of each story stands for it, in the
search's own order (score, then article id; or date, then article id)."""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby

import numpy as np

from app.search.whoosh.postings import FloatArray, IntArray
from app.search.whoosh.scoring import Scored


def best_per_story(
    docs: IntArray,
    value: FloatArray,
    keys: IntArray,
    article_id: Callable[[int], int],
    *,
    low_id: bool,
) -> tuple[IntArray, dict[int, int]]:
    """For each story among `docs`, the document with the highest `value`; among equals, the
    lowest article id (`low_id`) or the highest. Returns the chosen documents (ascending) and
    how many other matches each one's story has. Article ids are read only for ties."""
    docs = np.asarray(docs, np.int64)
    if not len(docs):
        return docs, {}
    _, inverse = np.unique(keys[docs], return_inverse=True)
    stories = int(inverse.max()) + 1
    best = np.full(stories, -np.inf)
    np.maximum.at(best, inverse, value)
    top = np.flatnonzero(value == best[inverse])
    per_story = np.bincount(inverse[top], minlength=stories)
    chosen = np.empty(stories, np.int64)
    alone = per_story[inverse[top]] == 1
    chosen[inverse[top[alone]]] = docs[top[alone]]
    # Equal best values (copies of one length and wording): the article id decides, as in the
    # unfolded order.
    tied = sorted(top[~alone].tolist(), key=lambda at: int(inverse[at]))
    for story, group in groupby(tied, key=lambda at: int(inverse[at])):
        ids = {int(docs[at]): article_id(int(docs[at])) for at in group}
        pick = min if low_id else max
        chosen[story] = pick(ids, key=ids.__getitem__)
    counts = np.bincount(inverse, minlength=stories) - 1
    copies = dict(zip(chosen.tolist(), counts.tolist(), strict=True))
    return np.sort(chosen), copies


def fold_scored(
    scored: Scored, keys: IntArray, article_id: Callable[[int], int]
) -> tuple[Scored, dict[int, int]]:
    """Each story's highest-scoring match (equal scores: the lowest article id)."""
    docs, copies = best_per_story(scored.docs, scored.scores, keys, article_id, low_id=True)
    at = np.searchsorted(scored.docs, docs)
    return Scored(docs, scored.scores[at]), copies


def fold_dated(
    matches: IntArray,
    dates: IntArray,
    keys: IntArray,
    article_id: Callable[[int], int],
    *,
    newest: bool,
) -> tuple[IntArray, dict[int, int]]:
    """Each story's newest match (same day: the highest article id), or its oldest (the
    lowest)."""
    day = np.asarray(dates, np.float64)[np.asarray(matches, np.int64)]
    return best_per_story(matches, day if newest else -day, keys, article_id, low_id=not newest)
