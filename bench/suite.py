"""The issue-7 benchmark suite in one run: import, search in process, the SQLite FTS5 baseline on
the same articles, HTTP (sequential and under concurrent load), sizes on disk and server memory.

    .venv/bin/python -m bench.suite                          # Reuters-21578, all 21,578 stories
    .venv/bin/python -m bench.suite --quick                  # first 2,000 stories, short load
    .venv/bin/python -m bench.suite --corpus-kind synthetic --size 100000   # SYNTHETIC, hours

1. Corpus to files: Reuters stories become dated-text files (bench/reuters.py); the SYNTHETIC
   corpus (bench/synthetic.py, real sentences recombined) is written as JSON Lines and gzipped
   CSV (bench/bulk_import.py). Either way the archive imports FILES, end to end.
2. Import into a fresh archive (SQLite + Whoosh) with `import_files`: articles/s, peak RSS.
3. The fixed query mix in process (`search_articles`, page_size 10, snippets, exact totals):
   a warm-up pass, then `--runs` passes; the figures are the MEDIAN over runs of each run's
   p50/p95/p99 (the pooled percentiles are in the JSON too).
4. SQLite FTS5 (bench/fts5.py) on the articles the archive holds, same mix and runs: import
   articles/s and latencies, as ratios archive / FTS5.
5. A live uvicorn on the archive (bench/http_load.py): the mix through /api/v1/search one
   request at a time, then a mixed search / reading page / API list load for `--duration`
   seconds at `--concurrency`, with server RSS.
6. Sizes: raw text (UTF-8 bytes of titles and bodies), index folder, database, FTS5 file.

Skips (prints `skipped: ...`, exit 0) when ../shared/corpora is absent. The corpora are read
from the shared folder into a temporary folder that is deleted afterwards (unless `--keep`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.archive import open_archive
from app.config import Settings
from app.migrate import upgrade
from bench import fts5, http_load, reuters
from bench.reuters import BenchQuery, Conversion, latency_stats, machine_info, write_json
from bench.story_timer import timed_story_ids

CORPORA = reuters.REPO_ROOT.parent / "shared" / "corpora"
RESULTS = reuters.REPO_ROOT / "bench" / "results"
QUICK_SIZE = 2000
PERCENTILES = ("p50_ms", "p95_ms", "p99_ms")


def median_of_runs(search: dict[str, Any]) -> dict[str, Any]:
    """p50/p95/p99 of each timed pass of the mix, then the median of each over the passes
    (robust to one pass slowed by another process on a shared machine)."""
    runs = search["runs"]
    rows = [row for row in search["per_query"] if row.get("samples_ms")]

    def summarise(selected: list[dict[str, Any]]) -> dict[str, Any]:
        per_run = [latency_stats([row["samples_ms"][r] for row in selected]) for r in range(runs)]
        out: dict[str, Any] = {
            p: round(statistics.median(s[p] for s in per_run), 2) for p in PERCENTILES
        }
        out["n_per_run"] = len(selected)
        return out

    kinds = dict.fromkeys(row["kind"] for row in rows)
    return {
        "runs": runs,
        "overall": summarise(rows),
        "by_kind": {k: summarise([r for r in rows if r["kind"] == k]) for k in kinds},
    }


def ratios(archive: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    """archive / FTS5 for each percentile, per kind and overall (medians of runs)."""

    def one(a: dict[str, Any], b: dict[str, Any]) -> dict[str, float | None]:
        return {p: round(a[p] / b[p], 1) if b.get(p) else None for p in PERCENTILES}

    return {
        "overall": one(archive["overall"], baseline["overall"]),
        "by_kind": {
            k: one(v, baseline["by_kind"][k])
            for k, v in archive["by_kind"].items()
            if k in baseline["by_kind"]
        },
    }


# -- corpus --------------------------------------------------------------------------------------


def prepare_reuters(corpus: Path, folder: Path, size: int | None) -> Conversion:
    return reuters.convert(corpus, folder, size)


def prepare_synthetic(folder: Path, size: int) -> Conversion:
    from bench.bulk_import import write_corpus

    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    write_corpus(folder, size)
    conv = Conversion(stories=size, files=sorted(str(p) for p in folder.iterdir()))
    conv.seconds = time.perf_counter() - started
    return conv


def missing_corpus(args: argparse.Namespace) -> str | None:
    if args.corpus_kind == "reuters":
        return None if args.corpus.is_file() else str(args.corpus)
    needed = [CORPORA / "reuters21578" / "reuters21578.derived.jsonl", CORPORA / "bbc_news" / "raw"]
    absent = [str(p) for p in needed if not p.exists()]
    return ", ".join(absent) or None


# -- the run -------------------------------------------------------------------------------------


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    def log(msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    machine = machine_info()
    machine["load_average_start"] = [round(x, 2) for x in os.getloadavg()]
    synthetic = args.corpus_kind == "synthetic"
    mix: Sequence[BenchQuery]
    if synthetic:
        mix = reuters.query_mix("synthetic")
        log(f"writing {args.size:,} SYNTHETIC articles")
        conv = prepare_synthetic(work / "files", args.size)
    else:
        mix = reuters.QUERY_MIX
        log(f"converting {args.corpus}")
        conv = prepare_reuters(args.corpus, work / "files", args.size)

    data_dir = work / "data"
    # The mix runs several times: without the search cache the later runs would be answered
    # from memory. --cache-size measures with it.
    settings = Settings(
        data_dir=data_dir, database_url=None, index_dir=None, search_cache_size=args.cache_size
    )
    settings.ensure_dirs()
    upgrade(settings.resolved_database_url())
    archive = open_archive(settings)
    try:
        log(f"importing {len(conv.files):,} files")
        with timed_story_ids() as story_seconds:
            imported = reuters.run_import(archive, conv, quiet=args.quiet)
        # What story ids (issue 20) cost each imported article, inside the import above.
        imported["story_ids_ms_per_article"] = (
            round(story_seconds[0] * 1000 / imported["added"], 3) if imported["added"] else None
        )
        log(f"in-process search: {len(mix)} queries, 1 warm-up + {args.runs} runs")
        searched = reuters.run_searches(archive, mix, args.runs)
    finally:
        archive.close()  # checkpoints the WAL; the server opens the archive on its own
    database = data_dir / "archive.db"

    log("FTS5 baseline: reading the archive's articles")
    articles = fts5.read_archive_articles(database)
    raw_bytes = fts5.raw_text_bytes(articles)
    log(f"FTS5 baseline: loading {len(articles):,} articles, then the mix")
    fts5_path = work / "fts5.db"
    baseline = fts5.baseline(articles, mix, args.runs, fts5_path)
    del articles

    http: dict[str, Any] | None = None
    if not args.no_http:
        log(f"HTTP: sequential mix, then {args.duration:.0f} s at concurrency {args.concurrency}")
        http = http_load.run_http(
            data_dir,
            mix,
            runs=args.runs,
            duration=args.duration,
            concurrency=args.concurrency,
            log=work / "server.log",
            cache_size=args.cache_size,
            workers=args.workers,
        )

    archive_medians = median_of_runs(searched)
    fts5_medians = median_of_runs(baseline["search"])
    sizes = {
        "raw_text_bytes": raw_bytes,
        "index": reuters.disk_usage(settings.resolved_index_dir()),
        "database": reuters.disk_usage(database),
        "fts5": reuters.disk_usage(fts5_path),
    }
    machine["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return {
        "benchmark": "suite",
        "corpus": {
            "kind": args.corpus_kind,
            "label": "SYNTHETIC (real Reuters + BBC sentences recombined)"
            if synthetic
            else "Reuters-21578 (real)",
            "path": str(CORPORA if synthetic else args.corpus),
            "requested": args.size,
            "stories": conv.stories,
            "articles": imported["added"],
        },
        "machine": machine,
        "settings": {
            "runs": args.runs,
            "duration_s": args.duration,
            "concurrency": args.concurrency,
            "quick": args.quick,
            "search_cache_size": args.cache_size,
            "server_workers": args.workers,
        },
        "conversion": conv.as_dict(),
        "import": imported,
        "search": {"medians_of_runs": archive_medians, "pooled": searched},
        "fts5": {**baseline, "search_medians_of_runs": fts5_medians},
        "ratios_archive_over_fts5": {
            "search": ratios(archive_medians, fts5_medians),
            # time per article, archive / FTS5 (= FTS5's articles/s over the archive's)
            "import_time_per_article": round(
                baseline["import"]["articles_per_s"] / imported["articles_per_s"], 1
            )
            if imported["articles_per_s"]
            else None,
            "totals_differ": fts5.compare(searched, baseline["search"])["totals_differ"],
        },
        "http": http,
        "http_sequential_medians_of_runs": median_of_runs(http["sequential"]) if http else None,
        "sizes": sizes,
        "data_dir_path": str(data_dir) if args.keep else None,
    }


# -- report --------------------------------------------------------------------------------------


def _mb(n: float) -> str:
    return f"{n / 2**20:,.1f} MB"


def print_table(r: dict[str, Any]) -> None:
    m, c, imp, f = r["machine"], r["corpus"], r["import"], r["fts5"]
    print(f"\n=== benchmark suite: {c['label']}, {c['articles']:,} articles ===")
    print(
        f"{m['date']}  {m['platform']}  {m['cpu_count']} CPUs  python {m['python']}  "
        f"SQLite {m['sqlite']}  whoosh {m['whoosh']}  commit {(m['git_commit'] or '?')[:10]}"
        f"{'' if not m['app_uncommitted_files'] else ' (+ uncommitted app changes)'}"
    )
    print(f"load average: start {m['load_average_start']}, end {m['load_average_end']}")

    fi = f["import"]
    print("\nimport (end to end: files -> database + index)")
    print(
        f"  archive  {imp['articles_per_s']:>9,.1f} articles/s  ({imp['added']:,} in "
        f"{imp['seconds']:.1f} s, {imp['failed']:,} refused), peak RSS "
        f"{imp['peak_rss_mb_after_import']:.0f} MB"
    )
    if imp.get("story_ids_ms_per_article") is not None:
        print(f"  of which story ids  {imp['story_ids_ms_per_article']:.2f} ms per article")
    print(
        f"  FTS5     {fi['articles_per_s']:>9,.1f} articles/s  ({fi['articles']:,} in "
        f"{fi['seconds']:.2f} s; inserts + indexing only, no file parsing)   "
        f"archive / FTS5 time = {r['ratios_archive_over_fts5']['import_time_per_article']}x"
    )

    s = r["sizes"]
    raw = s["raw_text_bytes"]
    print("\nsize on disk (allocated)")
    print(f"  raw text (title + body, UTF-8)  {_mb(raw):>10}")
    for label, key in (("Whoosh index", "index"), ("SQLite database", "database")):
        print(
            f"  {label:<31} {_mb(s[key]['disk_bytes']):>10}  "
            f"({s[key]['disk_bytes'] / raw:.2f} x raw)"
        )
    print(
        f"  {'FTS5 database (text + index)':<31} {_mb(s['fts5']['disk_bytes']):>10}  "
        f"({s['fts5']['disk_bytes'] / raw:.2f} x raw)"
    )

    a, b = r["search"]["medians_of_runs"], f["search_medians_of_runs"]
    ratio = r["ratios_archive_over_fts5"]["search"]
    hs = r["http_sequential_medians_of_runs"]
    print(
        f"\nsearch latency, ms (page 10, snippets, exact totals; median of {a['runs']} runs of "
        f"each percentile)"
    )
    print(
        f"  {'kind':<10} {'archive in-process':>22}   {'FTS5':>20}   {'archive/FTS5':>16}"
        f"   {'archive over HTTP':>21}"
    )
    print(
        f"  {'':<10} {'p50':>6} {'p95':>7} {'p99':>7}   {'p50':>6} {'p95':>6} {'p99':>6}   "
        f"{'p50':>7} {'p95':>7}   {'p50':>6} {'p95':>6} {'p99':>6}"
    )
    kinds = [*a["by_kind"], "ALL"]
    for kind in kinds:
        x = a["overall"] if kind == "ALL" else a["by_kind"][kind]
        y = b["overall"] if kind == "ALL" else b["by_kind"].get(kind)
        q = ratio["overall"] if kind == "ALL" else ratio["by_kind"].get(kind)
        h = (hs["overall"] if kind == "ALL" else hs["by_kind"].get(kind)) if hs else None
        line = f"  {kind:<10} {x['p50_ms']:>6.1f} {x['p95_ms']:>7.1f} {x['p99_ms']:>7.1f}   "
        line += f"{y['p50_ms']:>6.2f} {y['p95_ms']:>6.2f} {y['p99_ms']:>6.2f}   " if y else " " * 23
        line += f"{q['p50_ms'] or 0:>6.1f}x {q['p95_ms'] or 0:>6.1f}x   " if q else " " * 19
        if h:
            line += f"{h['p50_ms']:>6.1f} {h['p95_ms']:>6.1f} {h['p99_ms']:>6.1f}"
        print(line)
    if r["http"]:
        in_process = {
            row["query"]: row.get("total_hits") for row in r["search"]["pooled"]["per_query"]
        }
        over_http = [
            row["query"]
            for row in r["http"]["sequential"]["per_query"]
            if row.get("total_hits") != in_process.get(row["query"])
        ]
        print(f"  totals over HTTP that differ from in process: {over_http or 'none'}")
    differ = r["ratios_archive_over_fts5"]["totals_differ"]
    print(
        f"  totals that differ between archive and FTS5: {len(differ)} of "
        f"{a['overall']['n_per_run']} queries"
    )
    for d in differ:
        print(f"    {d['query']}: archive {d['archive']:,}, FTS5 {d['fts5']:,}")
    errors = r["search"]["pooled"]["errors"] + f["search"]["errors"]
    if errors:
        print(
            f"  QUERY ERRORS: archive {r['search']['pooled']['errors']}, "
            f"FTS5 {f['search']['errors']}"
        )

    if r["http"]:
        http_load.print_http(r["http"])


# -- command line --------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.suite", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--corpus-kind", choices=("reuters", "synthetic"), default="reuters")
    parser.add_argument(
        "--size",
        type=int,
        default=None,
        help="articles: the first N Reuters stories (default all) or N SYNTHETIC (default 100000)",
    )
    parser.add_argument("--corpus", type=Path, default=reuters.DEFAULT_CORPUS, help="Reuters JSONL")
    # None: the default of a normal run (5, 60) or of --quick (3, 15), filled in after parsing.
    parser.add_argument("--runs", type=int, default=None, help="timed passes of the query mix")
    parser.add_argument("--duration", type=float, default=None, help="seconds of mixed HTTP load")
    parser.add_argument("--concurrency", type=int, default=8, help="HTTP requests in flight")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: {QUICK_SIZE:,} articles, 3 runs, 15 s of load (explicit options win)",
    )
    parser.add_argument("--no-http", action="store_true", help="skip the live-server part")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--cache-size",
        type=int,
        default=0,
        help="search cache size for the archive and the server (default 0: every search is "
        "computed; the app's default is 64)",
    )
    parser.add_argument("--out", type=Path, default=None, help="JSON results file")
    parser.add_argument("--workdir", type=Path, default=None, help="parent of the temp folder")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder afterwards")
    parser.add_argument("--quiet", action="store_true", help="no import progress lines")
    args = parser.parse_args(argv)
    if args.quick and args.size is None:
        args.size = QUICK_SIZE
    if args.runs is None:
        args.runs = 3 if args.quick else 5
    if args.duration is None:
        args.duration = 15.0 if args.quick else 60.0
    if args.size is None and args.corpus_kind == "synthetic":
        args.size = 100_000
    if args.size is not None and args.size < 1:
        parser.error("--size must be at least 1")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.concurrency < 1 or args.duration <= 0:
        parser.error("--concurrency and --duration must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if missing := missing_corpus(args):
        print(f"skipped: {missing} not found")
        return 0
    if args.keep:
        work = Path(tempfile.mkdtemp(prefix="bench-suite-", dir=args.workdir))
        result = run(args, work)
        print(f"kept: {work}", file=sys.stderr)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-suite-", dir=args.workdir) as tmp:
            result = run(args, Path(tmp))
    print_table(result)
    out = args.out or RESULTS / f"suite-{args.corpus_kind}-{result['corpus']['stories']}.json"
    write_json(out, result)
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
