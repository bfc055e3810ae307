"""Near-duplicates on real news: how many the archive recognises in the BBC 2004-05 corpus, and
how many a results page folds.

    .venv/bin/python -m bench.dedup [--out FILE]

The corpus (../shared/corpora/bbc_news/raw, 2,225 stories; its README: "~100 near-duplicate
stories") is read in place, never copied. It has no judgements of which stories are copies,
so this measures what the archive does, not a recall against truth:

1. Every pair of stories whose bodies have 5-word-shingle Jaccard similarity or containment
   >= 0.5 (found through an inverted index of shingles), bucketed: Jaccard >= 0.7 or
   containment >= 0.9 is what search results fold
   (app.services.dedup.near_duplicates); Jaccard 1.0 is
   an exact copy of the words.
2. All stories imported into a fresh archive with `add_articles` (fixed date; headline as
   title): exact copies of a stored text are refused there by content hash.
3. For every group of stored stories linked by folded pairs, a search for its first story's
   headline (its words ORed, as a reader pasting a headline would get them ranked), 20 per
   page as the results page shows them: is every copy found on page one, and folded into one
   result with "N similar"? Copies split across pages, or beyond page one, are the limit of
   folding per page (docs/search.md).

Prints the figures and writes JSON (--out). Exits 0 with "skipped: ..." when the corpus is absent.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import re
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from app.archive import open_archive
from app.config import Settings
from app.ingest.record import ArticleIn
from app.migrate import upgrade
from app.services.articles import add_articles
from app.services.dedup import (
    NEAR_DUPLICATE,
    collapse,
    containment,
    jaccard,
    near_duplicates,
    shingles,
)
from app.services.searching import SearchParams, search_articles
from bench.reuters import write_json

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS = REPO_ROOT.parent / "shared" / "corpora" / "bbc_news" / "raw"
DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "dedup-bbc.json"
LOW = 0.5
PAGE = 20


def read_bbc(root: Path) -> list[tuple[str, str, str]]:
    """(file name, headline, body) of every story; files that are not UTF-8 are read with
    replacement characters (one is not: sport/199.txt)."""
    stories = []
    for path in sorted(root.glob("*/*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        headline, _, body = text.strip().partition("\n")
        stories.append((f"{path.parent.name}/{path.name}", headline.strip(), body.strip()))
    return stories


def similar_pairs(bodies: list[str], low: float = LOW) -> list[tuple[int, int, float, float, bool]]:
    """(i, j, Jaccard, containment, folded) of every pair with Jaccard or containment >= low,
    found through the shingles they share; `folded`: whether search results fold the pair
    (the app's own rule, app.services.dedup.near_duplicates)."""
    sets = [shingles(b) for b in bodies]
    postings: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        for h in s:
            postings[h].append(i)
    shared: Counter[tuple[int, int]] = Counter()
    for docs in postings.values():
        if len(docs) > 50:  # boilerplate runs shared by many stories say nothing about copies
            continue
        shared.update(itertools.combinations(docs, 2))
    pairs = []
    for i, j in shared:
        a, b = jaccard(sets[i], sets[j]), containment(sets[i], sets[j])
        if a >= low or b >= low:
            pairs.append((i, j, a, b, near_duplicates(sets[i], sets[j])))
    return sorted(pairs)


def groups_of(pairs: list[tuple[int, int]]) -> list[list[int]]:
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in pairs:
        parent[find(i)] = find(j)
    members: dict[int, list[int]] = defaultdict(list)
    for x in parent:
        members[find(x)].append(x)
    return sorted(sorted(m) for m in members.values())


def run(out: Path) -> dict[str, Any]:
    stories = read_bbc(CORPUS)
    bodies = [s[2] for s in stories]
    pairs = similar_pairs(bodies)

    def bucket(jac: float, folded: bool) -> str:
        if jac >= 0.999:
            return "same words"
        if not folded:
            return f"similar, not folded (Jaccard or containment >= {LOW})"
        if jac >= NEAR_DUPLICATE:
            return f"folded: Jaccard >= {NEAR_DUPLICATE}"
        return "folded: one inside the other (Jaccard below)"

    report: dict[str, Any] = {
        "stories": len(stories),
        "pairs": dict(Counter(bucket(a, f) for _, _, a, _, f in pairs)),
        "pair_examples": [
            [stories[i][0], stories[j][0], round(a, 3), round(b, 3), bucket(a, f)]
            for i, j, a, b, f in pairs
            if a < 0.999
        ][:25],
    }
    with tempfile.TemporaryDirectory(prefix="bench-dedup-") as tmp:
        data = Path(tmp)
        upgrade(f"sqlite:///{data / 'archive.db'}")
        archive = open_archive(Settings(data_dir=data, search_cache_size=0))
        try:
            items = [
                ArticleIn(body=body, published=dt.date(2005, 1, 1), title=title, source="BBC")
                for _, title, body in stories
            ]
            outcomes = []
            for start in range(0, len(items), 500):
                outcomes += add_articles(archive, items=items[start : start + 500])
            stored = {i: o.article.id for i, o in enumerate(outcomes) if o.status == "added"}
            report["refused_as_exact_copies"] = len(items) - len(stored)
            # Groups linked by folded pairs (transitively: a chain of three copies is one group;
            # the results page folds around its best-ranked copy, so such a chain could show as
            # "not all folded together" while the app works as designed; none occurs here).
            folded = [(i, j) for i, j, _, _, f in pairs if f and i in stored and j in stored]
            groups = groups_of(folded)
            outcome: Counter[str] = Counter()
            for group in groups:
                ids = {stored[i] for i in group}
                words = re.findall(r"\w+", stories[group[0]][1].lower())
                q = " OR ".join(w for w in words if len(w) > 2) or stories[group[0]][1]
                page = search_articles(archive, params=SearchParams(q=q, page_size=PAGE))
                on_page = {item.article.id for item in page.items} & ids
                folded = collapse(page)
                whole = any(
                    {item.article.id, *(a.id for a in item.similar)} >= ids for item in folded.items
                )
                if whole:
                    outcome["all copies on page one, folded into one result"] += 1
                elif on_page == ids:
                    outcome["all on page one, not all folded together"] += 1
                elif on_page:
                    outcome["some copies on page one, others further down"] += 1
                else:
                    outcome["none on page one"] += 1
            report["groups_of_near_copies"] = len(groups)
            report["group_sizes"] = dict(Counter(len(g) for g in groups))
            report["search_for_first_headline"] = dict(outcome)
        finally:
            archive.close()
    write_json(out, report)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"skipped: BBC corpus not found at {CORPUS}")
        return
    report = run(args.out)
    print(json.dumps(report, indent=2))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
