"""Leave-one-collection-out tuning of the ranking constants (app.search.base.Ranking).

    .venv/bin/python -m bench.relevance_tune [--grid small|full] [--out FILE.json]

Loads every collection of bench.relevance once, then for each point of a grid of `Ranking`s
ranks every judged query (through the backend's `search`, as `search_articles` does, without
loading rows) and keeps each collection's MAP. For each collection in turn, the point with the
best mean over the *other four* (MAP relative to the better bm25s setting on that collection,
so no collection weighs more for having higher figures) is chosen, and its MAP on the held-out
collection reported beside the in-sample best. Figures: docs/relevance.md.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from app.search.base import RANKING, Ranking, SearchRequest
from app.search.stopwords import parse_search
from bench.relevance import (
    DEFAULT_CORPORA,
    DEPTH,
    READERS,
    Loaded,
    judged_queries,
    load,
    measure,
    reference,
    summary,
    to_query,
)
from bench.reuters import write_json

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "relevance-tune.json"

# A point costs ~30 s (CISI's long queries most of it) on a shared 2-core machine, hence small
# grids. The title's b follows the body's.
GRIDS: dict[str, dict[str, list[float]]] = {
    "small": {
        "k1": [1.2, 2.0],
        "b_body": [0.5, 0.75],
        "title_weight": [1.0, 2.0],
        "exact_weight": [0.5, 1.0],
    },
    "idf": {"idf_power": [1.0, 1.25, 1.5, 2.0]},
}


def points(grid: dict[str, list[float]]) -> list[Ranking]:
    names = list(grid)
    out = []
    for values in itertools.product(*grid.values()):
        point = dict(zip(names, values, strict=True))
        if "b_body" in point:
            point["b_title"] = point["b_body"]
        out.append(replace(RANKING, **point))
    return out


def mean_ap(loaded: Loaded, queries: dict[str, Any]) -> float:
    score = measure(loaded.coll, loaded.present)
    per_query = {}
    for qid, node in queries.items():
        ranked: list[str] = []
        if node is not None:
            hits = loaded.archive.search.search(SearchRequest(query=node, limit=DEPTH))
            ranked = [k for i in hits.ids for k in loaded.keys_of[i]]
        per_query[qid] = score(qid, ranked)
    return float(summary(per_query)["map"] or 0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--grid", choices=sorted(GRIDS), default="small")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    grid = points(GRIDS[args.grid])
    table: dict[str, list[float]] = {}
    best_ref: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="relevance-tune-") as tmp:
        for name, (folder_name, reader) in READERS.items():
            folder = args.corpora / folder_name
            if not folder.is_dir():
                print(f"skipped {name}: {folder} not found")
                continue
            coll = reader(folder)
            loaded = load(coll, Path(tmp))
            try:
                refs = reference(coll, loaded.present)
                best_ref[name] = max((r["map"] or 0.0 for r in refs.values()), default=1.0)
                queries = {q: parse_search(to_query(t)) for q, t in judged_queries(coll).items()}
                started = time.perf_counter()
                table[name] = []
                for ranking in grid:
                    loaded.archive.search.ranking = ranking
                    table[name].append(mean_ap(loaded, queries))
                print(f"{name}: {len(grid)} points in {time.perf_counter() - started:.0f} s")
            finally:
                loaded.archive.close()
    if len(table) < 2:
        print("skipped: leave-one-out needs at least two collections")
        return 0
    names = list(table)

    def fit(on: list[str]) -> int:
        return max(
            range(len(grid)), key=lambda i: sum(table[n][i] / best_ref[n] for n in on) / len(on)
        )

    folds = {}
    for held in names:
        chosen = fit([n for n in names if n != held])
        folds[held] = {
            "chosen": asdict(grid[chosen]),
            "held_out_map": round(table[held][chosen], 4),
            "in_sample_best_map": round(max(table[held]), 4),
            "bm25s_best_map": round(best_ref[held], 4),
        }
    everywhere = fit(names)
    print(f"{'held out':<8} {'held-out MAP':>12} {'in-sample best':>14} {'bm25s best':>10}  chosen")
    for held, f in folds.items():
        chosen = {k: v for k, v in f["chosen"].items()}
        print(
            f"{held:<8} {f['held_out_map']:>12.4f} {f['in_sample_best_map']:>14.4f} "
            f"{f['bm25s_best_map']:>10.4f}  {chosen}"
        )
    print(f"fitted on all: {asdict(grid[everywhere])}")
    print("  MAP: " + ", ".join(f"{n} {table[n][everywhere]:.4f}" for n in names))
    write_json(
        args.out,
        {
            "grid": [asdict(r) for r in grid],
            "map": table,
            "bm25s_best_map": best_ref,
            "folds": folds,
            "fitted_on_all": asdict(grid[everywhere]),
        },
    )
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
