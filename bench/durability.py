"""What `NEWSARCHIVE_SQLITE_SYNCHRONOUS=FULL` costs against NORMAL, in the same run.

    .venv/bin/python -m bench.durability [--size 5000] [--runs 2] [--writes 200]

A SYNTHETIC corpus (bench.synthetic, as bench.bulk_import writes it) is imported with
`newsarchive import` in a child process into a fresh data folder, FULL and NORMAL alternately
(bench.import_rate.timed_import: timed until searchable). Then `--writes` single articles are
added one transaction each (what an API write does) in a child process, timed per write.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.import_rate import ROOT, timed_import

SINGLE_WRITES = """
import json, statistics, sys, time, datetime as dt
from app.archive import open_archive
from app.config import Settings
from app.ingest.record import ArticleIn
from app.services.articles import add_article
archive = open_archive(Settings())
times = []
for i in range(int(sys.argv[1])):
    item = ArticleIn(body=f"A single write number {i} of the durability bench.", title=f"W {i}",
                     published=dt.date(2024, 1, 1 + i % 28))
    started = time.perf_counter()
    add_article(archive, item=item)
    times.append((time.perf_counter() - started) * 1000)
archive.close()
times.sort()
print(json.dumps({"p50_ms": round(statistics.median(times), 2),
                  "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2)}))
"""


def single_writes(data: Path, count: int) -> dict[str, Any]:
    env = {**os.environ, "NEWSARCHIVE_DATA_DIR": str(data), "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", SINGLE_WRITES, str(count)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5000, help="SYNTHETIC articles to import")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--writes", type=int, default=200, help="single-article writes timed")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    from bench.bulk_import import write_corpus

    results: dict[str, list[dict[str, Any]]] = {"FULL": [], "NORMAL": []}
    with tempfile.TemporaryDirectory(prefix="newsarchive-durability-") as tmp:
        work = Path(tmp)
        corpus = work / "corpus"
        corpus.mkdir()
        write_corpus(corpus, args.size)
        print(f"SYNTHETIC: {args.size:,} articles written; load {os.getloadavg()[0]:.2f}")
        for run in range(args.runs):
            for mode in results:
                os.environ["NEWSARCHIVE_SQLITE_SYNCHRONOUS"] = mode
                data = work / f"data-{run}-{mode}"
                figures = timed_import(ROOT, corpus, data, 0)
                figures |= {f"single_{k}": v for k, v in single_writes(data, args.writes).items()}
                results[mode].append(figures)
                print(
                    f"{mode:>6}: {figures['articles']:,} articles searchable in "
                    f"{figures['seconds']:.1f} s = {figures['rate']:,.0f}/s; single writes "
                    f"p50 {figures['single_p50_ms']} ms, p95 {figures['single_p95_ms']} ms"
                )
    best = {mode: max(r["rate"] for r in runs) for mode, runs in results.items()}
    print(f"import rate FULL / NORMAL (best runs): {best['FULL'] / best['NORMAL']:.3f}")
    print(f"load {os.getloadavg()[0]:.2f}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"args": vars(args) | {"out": str(args.out)}, **results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
