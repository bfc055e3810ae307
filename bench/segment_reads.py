"""What reading Whoosh segments with pread instead of mmap costs searches (issue 17, A1).

    .venv/bin/python -m bench.segment_reads [--size 21578] [--rounds 3] [--runs 3]

Imports the first `--size` Reuters stories into a temporary archive once, then runs the Reuters
query mix in-process (`bench.reuters.run_searches`: snippets, exact totals, search cache off) in
fresh child processes, alternating the two ways of reading segments round by round, so both see
the same index, the same page cache and the same machine load:

- `mmap`: whoosh3's own reading (the memory map; a segment cut short kills the process),
- `pread`: positioned reads (app.search.whoosh.segments; what the archive does).

Reported per mode: the first pass (a fresh process: every posting list read from the file) and
the median over rounds of the timed passes' p50/p95 (posting lists then mostly come from the
in-memory posting cache), and the ratio pread / mmap. Without ../shared/corpora it prints
`skipped: ...` and exits 0.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import reuters

MODES = ("mmap", "pread")
CORPUS = reuters.DEFAULT_CORPUS


def child(mode: str, data: Path, runs: int) -> dict[str, Any]:
    """One process: search the mix with segments read by `mode`."""
    from app.archive import open_archive
    from app.config import Settings
    from app.search.whoosh import backend

    if mode == "mmap":
        backend.read_segments_without_mmap = lambda: None  # keep whoosh3's memory map
    archive = open_archive(Settings(data_dir=data, search_cache_size=0))
    try:
        started = time.perf_counter()
        result = reuters.run_searches(archive, reuters.QUERY_MIX, runs)
        total_s = time.perf_counter() - started
    finally:
        archive.close()
    first = sum(row.get("warmup_ms", 0.0) for row in result["per_query"])
    return {
        "mode": mode,
        "first_pass_ms": round(first, 1),
        "p50_ms": result["overall"]["p50_ms"],
        "p95_ms": result["overall"]["p95_ms"],
        "errors": result["errors"],
        "seconds": round(total_s, 2),
    }


def prepare(folder: Path, size: int) -> Path:
    from app.archive import open_archive
    from app.config import Settings
    from app.migrate import upgrade

    conv = reuters.convert(CORPUS, folder / "files", size)
    data = folder / "data"
    settings = Settings(data_dir=data)
    settings.ensure_dirs()
    upgrade(settings.resolved_database_url())
    archive = open_archive(settings)
    try:
        reuters.run_import(archive, conv, quiet=True)
    finally:
        archive.close()
    return data


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=21578, help="Reuters stories to import")
    parser.add_argument("--rounds", type=int, default=3, help="child processes per mode")
    parser.add_argument("--runs", type=int, default=3, help="timed passes per child")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.data, args.runs)))
        return 0
    if not CORPUS.is_file():
        print(f"skipped: the Reuters corpus is not at {CORPUS}")
        return 0
    with tempfile.TemporaryDirectory(prefix="segment-reads-") as tmp:
        print(f"importing {args.size} Reuters stories …", file=sys.stderr, flush=True)
        data = prepare(Path(tmp), args.size)
        index_mb = sum(p.stat().st_size for p in (data / "index").iterdir()) / 2**20
        rows: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
        for round_ in range(args.rounds):
            for mode in MODES if round_ % 2 == 0 else tuple(reversed(MODES)):
                command = [sys.executable, "-m", "bench.segment_reads", "--child", mode]
                command.extend(["--data", str(data), "--runs", str(args.runs)])
                out = subprocess.run(
                    command,
                    check=True,
                    capture_output=True,
                    text=True,
                    cwd=reuters.REPO_ROOT,
                )
                rows[mode].append(json.loads(out.stdout.strip().splitlines()[-1]))
                print(f"round {round_ + 1} {mode}: {rows[mode][-1]}", file=sys.stderr, flush=True)
    summary = {
        mode: {
            key: statistics.median(r[key] for r in rows[mode])
            for key in ("first_pass_ms", "p50_ms", "p95_ms")
        }
        for mode in MODES
    }
    print(
        f"Reuters {args.size} stories, index {index_mb:.0f} MB, {len(reuters.QUERY_MIX)} "
        f"queries, {args.rounds} rounds x {args.runs} runs"
    )
    print(f"{'':8}{'first pass ms':>15}{'p50 ms':>10}{'p95 ms':>10}")
    for mode in MODES:
        s = summary[mode]
        print(f"{mode:8}{s['first_pass_ms']:>15.1f}{s['p50_ms']:>10.2f}{s['p95_ms']:>10.2f}")
    ratio = {k: summary["pread"][k] / summary["mmap"][k] for k in summary["mmap"]}
    print("pread/mmap " + ", ".join(f"{k} {v:.2f}" for k, v in ratio.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
