"""Start-up time on an existing archive: what `make run` does before serving, this checkout
against a baseline commit, in the same run.

    .venv/bin/python -m bench.startup --data DIR [--baseline main] [--runs 3]

DIR is a data folder with an archive in step with its index (e.g. built by `newsarchive import`
then `newsarchive reindex`). Each run times, in child processes, `newsarchive check --repair`
and the whole of `make run`'s preparation (`migrate`, `import -q seeds/`, `check --repair`);
first with the baseline tree (extracted with `git archive`, as bench.import_rate does), then
with this checkout. This checkout's first check compares everything (`--full`, which records
the sync watermark); the timed ones after it find nothing changed. --out writes JSON.
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

from bench.import_rate import CLI, ROOT, baseline_tree


def timed(code: Path, data: Path, *args: str) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(code), "NEWSARCHIVE_DATA_DIR": str(data)}
    started = time.perf_counter()
    done = subprocess.run(
        # From the code's own folder: `python -c` puts the working folder first on sys.path.
        [sys.executable, "-c", CLI, *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=code,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stdout}{done.stderr}")
    return elapsed, (done.stdout.strip().splitlines() or [""])[-1]


def prepare_and_check(code: Path, data: Path) -> dict[str, Any]:
    """`make run` before `serve`: migrate, load the seeds (all duplicates), check --repair."""
    steps = {}
    for name, args in (
        ("migrate", ("migrate",)),
        ("seeds", ("import", "-q", str(ROOT / "seeds"))),
        ("check", ("check", "--repair")),
    ):
        steps[name], said = timed(code, data, *args)
    return {
        "check_s": round(steps["check"], 2),
        "make_run_s": round(sum(steps.values()), 2),
        "check_said": said,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--baseline", default="main")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"load_start": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="newsarchive-startup-") as tmp:
        base = baseline_tree(args.baseline, Path(tmp) / "baseline")
        results[args.baseline] = [prepare_and_check(base, args.data) for _ in range(args.runs)]
        for figures in results[args.baseline]:
            print(f"{args.baseline:>14}: {figures}")
    full, said = timed(ROOT, args.data, "check", "--full")
    results["this checkout, check --full"] = {"check_s": round(full, 2), "check_said": said}
    print(f"{'check --full':>14}: {full:.2f} s ({said})")
    results["this checkout"] = [prepare_and_check(ROOT, args.data) for _ in range(args.runs)]
    for figures in results["this checkout"]:
        print(f"{'this checkout':>14}: {figures}")
    results["load_end"] = os.getloadavg()[0]
    print(f"load {results['load_start']:.2f} -> {results['load_end']:.2f}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
