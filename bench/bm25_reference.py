"""The reference ranking bench.relevance prints beside ours: bm25s, a Lucene-style BM25.

bm25s (`method="lucene"`) with PyStemmer's Snowball English stemmer and bm25s's English stop
words (Lucene's 33), each document's title and text as one field, the query text as typed. Two
settings: k1 0.9 / b 0.4 (Anserini's default) and k1 1.2 / b 0.75 (the textbook one). A
benchmark dependency only (the dev extra)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SETTINGS = {"bm25s_0.9_0.4": (0.9, 0.4), "bm25s_1.2_0.75": (1.2, 0.75)}


def bm25s_rankings(
    docs: list[tuple[str, str]],
    queries: dict[str, str],
    *,
    depth: int,
    measure: Callable[[str, list[str]], dict[str, float]],
) -> dict[str, dict[str, dict[str, float]]] | None:
    """For each setting, `measure(query id, ranked document keys)` of every query; `docs` are
    (key, text) pairs. None when bm25s or PyStemmer is not installed."""
    try:
        import bm25s
        import Stemmer
    except ImportError:
        return None
    stemmer = Stemmer.Stemmer("english")
    corpus = bm25s.tokenize(
        [text for _, text in docs], stopwords="en", stemmer=stemmer, show_progress=False
    )
    out: dict[str, dict[str, dict[str, float]]] = {}
    for name, (k1, b) in SETTINGS.items():
        retriever: Any = bm25s.BM25(method="lucene", k1=k1, b=b)
        retriever.index(corpus, show_progress=False)
        per_query = {}
        for qid, text in queries.items():
            tokens = bm25s.tokenize([text], stopwords="en", stemmer=stemmer, show_progress=False)
            ranked: list[str] = []
            if tokens.vocab:
                # Query words the corpus lacks are left out (bm25s refuses unknown ids).
                known = [w for w in tokens.vocab if w in retriever.vocab_dict]
                if known:
                    results, scores = retriever.retrieve(
                        [known], k=min(depth, len(docs)), show_progress=False
                    )
                    ranked = [
                        docs[i][0] for i, s in zip(results[0], scores[0], strict=True) if s > 0
                    ]
            per_query[qid] = measure(qid, ranked)
        out[name] = per_query
    return out
