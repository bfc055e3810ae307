"""Story ids at import (app/services/stories.py) on real news: BBC 2004-05 (copies of one story)
and Reuters-21578 (re-sent wires).

    .venv/bin/python -m bench.stories [--corpora DIR] [--reuters N] [--out FILE]

For each corpus:

1. The pairs the exact rule calls copies (app.services.dedup.near_duplicates: 5-word-shingle
   Jaccard >= 0.7 or containment >= 0.9), found as bench/dedup.py finds them; their connected
   groups are the reference grouping.
2. Candidate recall of the two signatures against those pairs: MinHash with LSH banding (what the
   archive stores: 32 bands x 3 rows) and SimHash (64 bits over the same shingles, a pair a
   candidate when the Hamming distance is <= k), with how many candidate pairs each produces.
3. Import into a fresh archive, in batches of 500, with story ids (the real path) and with the
   story assignment switched off (the baseline, same run): milliseconds per article; then
   pair precision and recall of the stored story ids against the reference groups.

Prints the figures and writes JSON (--out). Skips a corpus that is absent.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import itertools
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
from sqlalchemy import select

from app.archive import open_archive
from app.config import Settings
from app.ingest.record import ArticleIn
from app.migrate import upgrade
from app.models import Article
from app.services import stories
from app.services.articles import add_articles
from bench.dedup import groups_of, read_bbc, similar_pairs
from bench.reuters import iter_stories, write_json

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPORA = REPO_ROOT.parent / "shared" / "corpora"
DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "stories.json"
BATCH = 500


def simhash(text: str) -> int:
    """64-bit SimHash of the text's 5-word shingles (each hashed with blake2b)."""
    counts = np.zeros(64, np.int64)
    for run in stories._shingle_bytes(text):
        bits = int.from_bytes(hashlib.blake2b(run, digest_size=8).digest(), "little")
        counts += np.where((bits >> np.arange(64, dtype=np.uint64)) & 1, 1, -1)
    return int(sum(1 << i for i in range(64) if counts[i] > 0))


def candidate_recall(bodies: list[str], truth: set[tuple[int, int]]) -> dict[str, Any]:
    keys = [set(stories.band_keys(stories.signature(b))) for b in bodies]
    buckets: dict[int, list[int]] = defaultdict(list)
    for i, ks in enumerate(keys):
        for k in ks:
            buckets[k].append(i)
    lsh = {p for ids in buckets.values() for p in itertools.combinations(sorted(set(ids)), 2)}
    out: dict[str, Any] = {
        "minhash_lsh_32x3": {
            "recall": round(len(lsh & truth) / len(truth), 4) if truth else None,
            "candidate_pairs": len(lsh),
        }
    }
    hashes = np.array([simhash(b) for b in bodies], np.uint64)
    for k in (3, 6, 10):
        found = set()
        for i in range(len(hashes)):
            dist = np.bitwise_count(hashes[i + 1 :] ^ hashes[i])
            found |= {(i, i + 1 + int(j)) for j in np.flatnonzero(dist <= k).tolist()}
        out[f"simhash_hamming_le_{k}"] = {
            "recall": round(len(found & truth) / len(truth), 4) if truth else None,
            "candidate_pairs": len(found),
        }
    return out


def import_and_group(
    items: list[ArticleIn], *, with_stories: bool
) -> tuple[float, dict[int, int | None]]:
    """Seconds per article to import `items`, and the stored story ids by input position."""
    with tempfile.TemporaryDirectory(prefix="bench-stories-") as tmp:
        data = Path(tmp)
        upgrade(f"sqlite:///{data / 'archive.db'}")
        archive = open_archive(Settings(data_dir=data, search_cache_size=0))
        try:
            off = mock.patch.object(
                stories, "assign", lambda _s, arts: stories.Assigned({i: i for i, _ in arts}, [])
            )
            started = time.perf_counter()
            with contextlib.nullcontext() if with_stories else off:
                ids = []
                for start in range(0, len(items), BATCH):
                    outcomes = add_articles(archive, items=items[start : start + BATCH])
                    ids += [o.article.id if o.status == "added" else None for o in outcomes]
            per = (time.perf_counter() - started) / len(items)
            with archive.sessions() as session:
                story = {i: s for i, s in session.execute(select(Article.id, Article.story_id))}
        finally:
            archive.close()
    return per, {pos: story.get(i) if i else None for pos, i in enumerate(ids)}


def pair_scores(
    groups: list[list[int]], story_of: dict[int, int | None]
) -> dict[str, float | int | None]:
    # An exact copy is refused at import (no story of its own): its pairs are left out.
    stored = {pos for pos, story in story_of.items() if story is not None}
    truth = {p for g in groups for p in itertools.combinations(sorted(set(g) & stored), 2)}
    by_story: dict[int, list[int]] = defaultdict(list)
    for pos, story in story_of.items():
        if story is not None:
            by_story[story].append(pos)
    found = {p for m in by_story.values() for p in itertools.combinations(sorted(m), 2)}
    hit = len(truth & found)
    return {
        "reference_pairs": len(truth),
        "story_pairs": len(found),
        "precision": round(hit / len(found), 4) if found else None,
        "recall": round(hit / len(truth), 4) if truth else None,
    }


def measure(name: str, docs: list[tuple[str, str, str]]) -> dict[str, Any]:
    bodies = [d[2] for d in docs]
    pairs = similar_pairs(bodies)
    truth = {(i, j) for i, j, _, _, folded in pairs if folded}
    groups = groups_of(sorted(truth))
    items = [
        ArticleIn(body=b, published=dt.date(2005, 1, 1), title=t or "(untitled)", source=name)
        for _, t, b in docs
    ]
    base, _ = import_and_group(items, with_stories=False)
    per, story_of = import_and_group(items, with_stories=True)
    sig_started = time.perf_counter()
    for b in bodies[:500]:
        stories.band_keys(stories.signature(b))
    sig_ms = (time.perf_counter() - sig_started) / min(500, len(bodies)) * 1000
    return {
        "articles": len(docs),
        "copy_pairs_by_the_rule": len(truth),
        "groups_of_copies": len(groups),
        "candidates": candidate_recall(bodies, truth),
        "import_ms_per_article": {
            "baseline_without_stories": round(base * 1000, 3),
            "with_stories": round(per * 1000, 3),
            "signature_and_bands_only": round(sig_ms, 3),
        },
        "grouping_vs_rule": pair_scores(groups, story_of),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--reuters", type=int, default=6000, help="first N Reuters stories")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    report: dict[str, Any] = {}
    bbc = args.corpora / "bbc_news" / "raw"
    if bbc.is_dir():
        report["bbc"] = measure("BBC", read_bbc(bbc))
    else:
        print(f"skipped BBC: not found at {bbc}")
    reuters = args.corpora / "reuters21578" / "reuters21578.derived.jsonl"
    if reuters.is_file():
        docs = [
            (str(s.get("newid")), (s.get("title") or "").strip()[:500], s["body"].strip())
            for s in iter_stories(reuters, args.reuters)
            if (s.get("body") or "").strip()
        ]
        report["reuters"] = measure("Reuters", docs)
    else:
        print(f"skipped Reuters: not found at {reuters}")
    write_json(args.out, report)
    print(json.dumps(report, indent=2))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
