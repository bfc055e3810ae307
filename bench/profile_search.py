"""Where the time of an in-process search goes: the query mix under cProfile, split into the
backend's search (matching, scoring, exact total), loading the rows, and making snippets.

    .venv/bin/python -m bench.profile_search --data DIR [--runs 3] [--top 15]

DIR is an archive data folder (e.g. kept by `python -m bench.suite --keep`). The split is read
from cProfile's cumulative times of the functions `search_articles` calls; cProfile slows pure
Python code, so the shares matter here, not the absolute times.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
from collections.abc import Sequence
from pathlib import Path

from app.archive import open_archive
from app.config import Settings
from app.services.searching import search_articles
from bench.reuters import query_mix

# (label, module path suffix, function name) of what search_articles calls.
PARTS = (
    ("backend search (match, score, total)", "search/whoosh/backend.py", "search"),
    ("load rows (get_articles)", "app/services/articles.py", "get_articles"),
    ("snippets (make_snippet)", "app/services/searching.py", "make_snippet"),
    ("lead snippets (no match in body)", "app/services/searching.py", "lead_snippet"),
)


def cumulative(stats: pstats.Stats, suffix: str, name: str) -> float:
    total = 0.0
    for (path, _, func), row in stats.stats.items():  # type: ignore[attr-defined]
        if func == name and path.endswith(suffix):
            total += row[3]
    return total


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_search")
    parser.add_argument("--data", type=Path, required=True, help="archive data folder")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--top", type=int, default=15, help="also print the N costliest functions")
    parser.add_argument("--mix", choices=("reuters", "synthetic"), default="reuters")
    args = parser.parse_args(argv)
    if not (args.data / "archive.db").is_file():
        print(f"skipped: {args.data / 'archive.db'} not found")
        return 0
    mix = query_mix(args.mix)
    archive = open_archive(Settings(data_dir=args.data, search_cache_size=0))
    try:
        for query in mix:  # warm up: searchers open, caches filled, as in the benchmark
            search_articles(archive, params=query.params)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.runs):
            for query in mix:
                search_articles(archive, params=query.params)
        profiler.disable()
    finally:
        archive.close()
    stats = pstats.Stats(profiler)
    whole = cumulative(stats, "app/services/searching.py", "search_articles")
    print(f"{len(mix)} queries x {args.runs} runs: {whole:.2f} s in search_articles (profiled)")
    accounted = 0.0
    for label, suffix, name in PARTS:
        t = cumulative(stats, suffix, name)
        accounted += t
        print(f"  {label:<40} {t:7.2f} s  {t / whole:6.1%}")
    rest = whole - accounted
    print(f"  {'the rest (parse, page assembly)':<40} {rest:7.2f} s  {rest / whole:6.1%}")
    if args.top:
        print()
        stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
