"""How long a single API write waits while a CLI import runs, this checkout against a baseline
commit, in the same run (issue 17, item 14).

    .venv/bin/python -m bench.write_latency [--size 20000] [--baseline main] [--interval 0.5]

A SYNTHETIC corpus (bench.synthetic, as bench.bulk_import writes it) is imported with
`newsarchive import -q` (default batch size, 1000) in a child process. A second child process
adds one article at a time (`add_article`, what `POST /api/v1/articles` does) every
`--interval` s from the import's first committed batch until it exits, timing each write. Both
children run the code under test (the baseline is extracted with `git archive`, as
bench.import_rate does). Prints p50/p95/max per code and the import's mean time per batch.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.import_rate import CLI, ROOT

WRITER = """
import datetime as dt, json, sys, time
from pathlib import Path
from sqlalchemy import select
from app.archive import open_archive
from app.config import Settings
from app.ingest.record import ArticleIn
from app.models import ImportRun
from app.services.articles import add_article
archive = open_archive(Settings())
stop, interval = Path(sys.argv[1]), float(sys.argv[2])
while True:  # start with the import's first committed batch
    with archive.sessions() as s:
        if s.scalar(select(ImportRun.added).order_by(ImportRun.id.desc()).limit(1)):
            break
    time.sleep(0.05)
times, failed = [], []
while not stop.exists():
    item = ArticleIn(body=f"Interactive write {len(times)} during an import.",
                     title=f"Write {len(times)}", published=dt.date(2024, 2, 1))
    started = time.perf_counter()
    try:
        add_article(archive, item=item)
    except Exception as exc:  # WriteBusy: waited longer than NEWSARCHIVE_WRITE_LOCK_TIMEOUT
        failed.append(f"{time.perf_counter() - started:.0f} s: {exc}")
    else:
        times.append(time.perf_counter() - started)
    time.sleep(interval)
archive.close()
print(json.dumps({"times": times, "failed": failed}))
"""


def baseline_tree(ref: str, into: Path) -> Path:
    """The app and its migrations at `ref`, extracted read-only from git (no worktree, no ref
    touched)."""
    tar = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "app", "migrations", "pyproject.toml"],
        check=True,
        capture_output=True,
    ).stdout
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=tar, check=True)
    return into


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[round(share * (len(ordered) - 1))]


def measure(code: Path, corpus: Path, data: Path, interval: float) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(code), "NEWSARCHIVE_DATA_DIR": str(data)}
    run = [sys.executable, "-c", CLI]
    # cwd too: `python -c` puts the current folder first on sys.path, before PYTHONPATH.
    subprocess.run([*run, "migrate"], env=env, check=True, capture_output=True, cwd=code)
    stop = data / "stop-writing"
    started = time.perf_counter()
    importer = subprocess.Popen(
        [*run, "import", "-q", str(corpus)], env=env, stdout=subprocess.PIPE, cwd=code
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(stop), str(interval)],
        env=env,
        stdout=subprocess.PIPE,
        cwd=code,
    )
    out, _ = importer.communicate()
    elapsed = time.perf_counter() - started
    stop.touch()
    written = json.loads(writer.communicate()[0].decode().strip().splitlines()[-1])
    times = written["times"]
    summary = out.decode(errors="replace").strip().splitlines()
    ms = [t * 1000 for t in times]
    return {
        "import_s": round(elapsed, 1),
        "summary": summary[-1] if summary else "",
        "writes": len(ms),
        "p50_ms": round(percentile(ms, 0.5), 1) if ms else None,
        "p95_ms": round(percentile(ms, 0.95), 1) if ms else None,
        "max_ms": round(max(ms), 1) if ms else None,
        "writes_failed": written["failed"],
        "import_exit": importer.returncode,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000, help="SYNTHETIC articles to import")
    parser.add_argument("--baseline", default="main", help="git commit to compare with")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between writes")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    from bench.bulk_import import write_corpus

    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="newsarchive-writes-") as tmp:
        work = Path(tmp)
        corpus = work / "corpus"
        corpus.mkdir()
        write_corpus(corpus, args.size)
        print(f"SYNTHETIC: {args.size:,} articles written; load {os.getloadavg()[0]:.2f}")
        codes = {args.baseline: baseline_tree(args.baseline, work / "baseline"), "this": ROOT}
        for label, code in codes.items():
            figures = measure(code, corpus, work / f"data-{label}", args.interval)
            batches = max(1, -(-args.size // 1000))
            figures["mean_batch_s"] = round(figures["import_s"] / batches, 2)
            results[label] = figures
            print(
                f"{label:>6}: import {figures['import_s']} s ({figures['mean_batch_s']} s a "
                f"batch); {figures['writes']} single writes: p50 {figures['p50_ms']} ms, "
                f"p95 {figures['p95_ms']} ms, max {figures['max_ms']} ms; "
                f"{len(figures['writes_failed'])} writes gave up; "
                f"import exit {figures['import_exit']}"
            )
    print(f"load {os.getloadavg()[0]:.2f}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"args": vars(args) | {"out": str(args.out)}, **results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
