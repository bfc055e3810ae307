"""Import rate until searchable, this checkout against a baseline commit, in the same run.

    .venv/bin/python -m bench.import_rate [--corpus reuters|synthetic] [--size N]
                                          [--baseline main] [--processes 0]
                                          [--import-args "--indexing behind"] [--catch-up]
                                          [--backend postgres --database-url URL]

The corpus becomes files once (Reuters-21578 as dated-text files, one per story, as
bench.reuters writes them; or SYNTHETIC articles from bench.synthetic as JSON Lines and gzipped
CSV, as bench.bulk_import writes them). Then, for the baseline commit (extracted with
`git archive` into a temporary folder: no worktree, no ref is touched) and for this checkout,
alternately: a fresh data folder, `newsarchive migrate`, and `newsarchive import -q FOLDER` in a
child process, timed until it exits AND `/api/v1/health`'s figures say searchable (in_sync,
nothing pending; read through app.services.stats.health in a second child process, whose time
counts too). Prints articles/s per run and the ratio; --out writes the figures as JSON.
`--import-args` are added to this checkout's `newsarchive import` only (the baseline may not
know them); with `--catch-up`, this checkout's import is followed by `newsarchive catch-up`
(for `--no-wait`), timed too.

`--backend postgres` imports into the PostgreSQL database at `--database-url` (or
NEWSARCHIVE_BENCH_POSTGRES_URL) with the postgres search backend instead; before each run its
`public` schema is DROPPED and migrated afresh, so give it a database of its own, e.g.
`NEWSARCHIVE_PG_DB=newsarchive_bench scripts/ensure-postgres`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REUTERS = ROOT.parent / "shared" / "corpora" / "reuters21578" / "reuters21578.derived.jsonl"
CLI = "import sys; from app.cli import main; sys.argv[0] = 'newsarchive'; main()"
HEALTH = (
    "import json; from app.archive import open_archive; from app.config import Settings; "
    "from app.services.stats import health; a = open_archive(Settings()); "
    "print(json.dumps(health(a))); a.close()"
)


def prepare(kind: str, size: int | None, folder: Path) -> int:
    """Write the corpus into `folder`; returns the number of stories written."""
    if kind == "reuters":
        from bench.reuters import convert

        return convert(REUTERS, folder, size).stories
    from bench.bulk_import import write_corpus

    count = size or 20_000
    write_corpus(folder, count)
    return count


def baseline_tree(ref: str, into: Path) -> Path:
    """The app and its packaging at `ref`, extracted read-only from git."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "app", "migrations", "seeds", "pyproject.toml"],
        check=True,
        capture_output=True,
    ).stdout
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def fresh_postgres(url: str) -> dict[str, str]:
    """Empty the bench database (its whole `public` schema); the settings that point at it."""
    from sqlalchemy import create_engine

    from app.migrate import reset_postgres_schema

    engine = create_engine(url)
    try:
        reset_postgres_schema(engine)
    finally:
        engine.dispose()
    return {"NEWSARCHIVE_DATABASE_URL": url, "NEWSARCHIVE_SEARCH_BACKEND": "postgres"}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_import(
    code: Path,  # run from there too: `python -c` puts the working folder first on sys.path
    corpus: Path,
    data: Path,
    processes: int,
    postgres_url: str | None = None,
    batch_size: int | None = None,
    extra: list[str] | None = None,
    then_catch_up: bool = False,
) -> dict[str, Any]:
    env = {
        **os.environ,
        "PYTHONPATH": str(code),
        "NEWSARCHIVE_DATA_DIR": str(data),
        "NEWSARCHIVE_INDEX_PROCESSES": str(processes),
        **(fresh_postgres(postgres_url) if postgres_url else {}),
    }
    run = [sys.executable, "-c", CLI]
    subprocess.run([*run, "migrate"], env=env, cwd=code, check=True, capture_output=True)
    cpu_before = _children_cpu()
    started = time.perf_counter()
    batch = ["--batch-size", str(batch_size)] if batch_size else []
    done = subprocess.run(
        [*run, "import", "-q", *batch, *(extra or []), str(corpus)],
        env=env,
        cwd=code,
        capture_output=True,
    )
    imported = time.perf_counter() - started
    if then_catch_up:
        subprocess.run([*run, "catch-up", "-q"], env=env, cwd=code, check=True, capture_output=True)
    import_cpu = _children_cpu() - cpu_before
    health = json.loads(
        subprocess.run(
            [sys.executable, "-c", HEALTH],
            env=env,
            cwd=code,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    elapsed = time.perf_counter() - started
    summary = done.stdout.decode(errors="replace").strip().splitlines()
    return {
        "seconds": round(elapsed, 2),
        "import_returned_s": round(imported, 2),
        # CPU the import process itself used (user + system): the client's share of the work,
        # less sensitive than wall time to other load on a shared machine.
        "import_cpu_s": round(import_cpu, 2),
        "articles": health["articles"],
        "rate": round(health["articles"] / elapsed, 1),
        "in_sync": health["in_sync"],
        "pending": health["pending_index_updates"],
        "summary": summary[-1] if summary else "",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=["reuters", "synthetic"], default="reuters")
    parser.add_argument("--size", type=int, default=None, help="stories (default: all / 20k)")
    parser.add_argument("--baseline", default="main", help="git commit to compare with")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument(
        "--processes", type=int, default=0, help="NEWSARCHIVE_INDEX_PROCESSES (0: the default)"
    )
    parser.add_argument(
        "--import-args", default="", help="more arguments for this checkout's import"
    )
    parser.add_argument(
        "--catch-up", action="store_true", help="run `newsarchive catch-up` after the import"
    )
    parser.add_argument("--backend", choices=["whoosh", "postgres"], default="whoosh")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("NEWSARCHIVE_BENCH_POSTGRES_URL"),
        help="with --backend postgres: a database of its own (its schema is dropped per run)",
    )
    parser.add_argument("--batch-size", type=int, default=None, help="import --batch-size")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.backend == "postgres" and not args.database_url:
        parser.error("--backend postgres needs --database-url (or NEWSARCHIVE_BENCH_POSTGRES_URL)")
    postgres_url = args.database_url if args.backend == "postgres" else None
    if args.corpus == "reuters" and not REUTERS.is_file():
        print(f"skipped: {REUTERS} not found")
        return 0
    results: dict[str, list[dict[str, Any]]] = {args.baseline: [], "this checkout": []}
    with tempfile.TemporaryDirectory(prefix="newsarchive-rate-") as tmp:
        work = Path(tmp)
        corpus = work / "corpus"
        corpus.mkdir()
        stories = prepare(args.corpus, args.size, corpus)
        print(
            f"{args.corpus}: {stories:,} stories written; backend {args.backend}; "
            f"load {os.getloadavg()[0]:.2f}"
        )
        codes = {
            args.baseline: baseline_tree(args.baseline, work / "baseline"),
            "this checkout": ROOT,
        }
        for run in range(args.runs):
            for label, code in codes.items():
                ours = code == ROOT
                figures = timed_import(
                    code,
                    corpus,
                    work / f"data-{run}-{label.replace(' ', '-')}",
                    args.processes,
                    postgres_url,
                    args.batch_size,
                    extra=args.import_args.split() if ours else None,
                    then_catch_up=args.catch_up and ours,
                )
                results[label].append(figures)
                print(
                    f"{label:>14}: {figures['articles']:,} articles searchable in "
                    f"{figures['seconds']:.1f} s = {figures['rate']:,.0f}/s (import returned "
                    f"after {figures['import_returned_s']:.1f} s, its own CPU "
                    f"{figures['import_cpu_s']:.1f} s; in_sync {figures['in_sync']}, "
                    f"pending {figures['pending']})"
                )
    best = {label: max(r["rate"] for r in runs) for label, runs in results.items()}
    print(
        f"ratio (best runs): {best['this checkout'] / best[args.baseline]:.2f}x; "
        f"load {os.getloadavg()[0]:.2f}"
    )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            json.dumps({"args": vars(args) | {"out": str(args.out)}, "results": results}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
