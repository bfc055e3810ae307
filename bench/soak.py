"""Soak: bounded mixed reads, with CLI imports and API writes in the middle, against
`newsarchive serve --workers 2` (issue 17, item 21). Not part of `make test`.

    .venv/bin/python -m bench.soak [--before 150] [--during 300] [--after 150] [--readers 4]

A fresh archive gets a SYNTHETIC corpus (bench.synthetic) of --seed articles, then
`serve --workers 2` runs on it (127.0.0.1, free port; rate limits off, since one client IP
drives all the load). Three phases: reads only (--before s), reads while a writer thread POSTs
one article every --write-interval s and `newsarchive import` loads further chunks of
--chunk articles one after the other (--during s), reads only again (--after s). Readers
(--readers threads, each waiting --think s between requests) cycle through API searches, API
lists, article pages and HTML searches. Reported per phase: requests, errors (non-2xx other
than 503 "overloaded", connection errors), read and write p50/p95; and every --sample s, each
server process's RSS and open files. JSON in bench/results/soak-<start>.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bench.import_rate import CLI, ROOT
from bench.serving import clean_env, server_process

TOKEN = "soak-token-0123456789"
WORDS = ["government", "market", "minister", "oil", "bank", "talks", "price", "election"]


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[round(share * (len(ordered) - 1))] * 1000, 1)


class Phase:
    """What one phase saw: latencies in seconds and errors, appended from several threads."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.reads: list[float] = []
        self.writes: list[float] = []
        self.errors: list[str] = []
        self.refused = 0  # 503 overloaded: the cap at work, counted apart
        self.imports: list[str] = []

    def summary(self) -> dict[str, Any]:
        return {
            "phase": self.name,
            "reads": len(self.reads),
            "read_p50_ms": percentile(self.reads, 0.5),
            "read_p95_ms": percentile(self.reads, 0.95),
            "writes": len(self.writes),
            "write_p50_ms": percentile(self.writes, 0.5),
            "write_p95_ms": percentile(self.writes, 0.95),
            "errors": len(self.errors),
            "error_examples": self.errors[:10],
            "refused_503": self.refused,
            "imports": self.imports,
        }


def request(url: str, *, data: bytes | None = None) -> int:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            r.read()
            return int(r.status)
    except urllib.error.HTTPError as exc:
        exc.read()
        return int(exc.code)


def timed(phase: Phase, kind: str, url: str, data: bytes | None = None) -> None:
    started = time.perf_counter()
    try:
        status = request(url, data=data)
    except OSError as exc:
        phase.errors.append(f"{kind} {url}: {exc}")
        return
    elapsed = time.perf_counter() - started
    if status == 503:
        phase.refused += 1
    elif status >= 300:
        phase.errors.append(f"{kind} {url}: HTTP {status}")
    else:
        (phase.writes if kind == "write" else phase.reads).append(elapsed)


def reader(base: str, current: list[Phase], stop: threading.Event, think: float, seed: int) -> None:
    rng = random.Random(seed)
    for n in itertools.count():
        if stop.is_set():
            return
        word = rng.choice(WORDS)
        url = [
            f"{base}/api/v1/search?q={word}&page_size=10",
            f"{base}/api/v1/articles?page_size=20",
            f"{base}/articles/{rng.randint(1, 500)}",
            f"{base}/search?q={word}+{rng.choice(WORDS)}",
        ][n % 4]
        phase = current[0]
        if url.startswith(f"{base}/articles/"):
            started = time.perf_counter()
            try:
                status = request(url)
            except OSError as exc:
                phase.errors.append(f"read {url}: {exc}")
                continue
            if status in (200, 404):  # an id not (yet) stored is a fine answer
                phase.reads.append(time.perf_counter() - started)
            else:
                phase.errors.append(f"read {url}: HTTP {status}")
        else:
            timed(phase, "read", url)
        time.sleep(think)


def writer(base: str, phase: Phase, stop: threading.Event, interval: float) -> None:
    for n in itertools.count():
        if stop.wait(interval):
            return
        body = {
            "title": f"Soak write {n} at {time.time():.3f}",
            "date": "2024-03-01",
            "body": f"An interactive write, number {n}, while imports run. " + " ".join(WORDS),
        }
        timed(phase, "write", f"{base}/api/v1/articles", json.dumps(body).encode())


def importer(env: dict[str, str], chunks: list[Path], phase: Phase, stop: threading.Event) -> None:
    for chunk in chunks:
        if stop.is_set():
            return
        done = subprocess.run(
            [sys.executable, "-c", CLI, "import", "-q", str(chunk)],
            env=env,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        line = (done.stdout.strip().splitlines() or ["(no summary)"])[-1]
        phase.imports.append(line)
        if done.returncode != 0:
            phase.errors.append(
                f"import {chunk.name}: exit {done.returncode}: {done.stderr[-300:]}"
            )


def family(pid: int) -> list[int]:
    """`pid` and its descendants."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [pid], {pid}
    while frontier:
        frontier = {c for c, p in parents.items() if p in frontier}
        found += sorted(frontier)
    return found


def sample(pid: int, started: float, phase: str) -> list[dict[str, Any]]:
    rows = []
    for member in family(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
            files = len(os.listdir(f"/proc/{member}/fd"))
            cmd = Path(f"/proc/{member}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        rss = next((int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS:")), 0)
        role = "parent" if member == pid else ("worker" if "spawn_main" in cmd else "other")
        rows.append(
            {
                "t_s": round(time.monotonic() - started),
                "phase": phase,
                "pid": member,
                "role": role,
                "rss_mb": round(rss / 1024, 1),
                "open_files": files,
            }
        )
    return rows


def write_chunks(folder: Path, *, start: int, size: int, count: int) -> list[Path]:
    from bench.synthetic import generate

    chunks = []
    for c in range(count):
        path = folder / f"chunk{c:03d}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for item in generate(size, start=start + c * size):
                row = {"title": item.title, "body": item.body, "date": item.published.isoformat()}
                out.write(json.dumps({**row, "source": item.source}) + "\n")
        chunks.append(path)
    return chunks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=3000, help="articles stored before serving")
    parser.add_argument("--before", type=float, default=150.0)
    parser.add_argument("--during", type=float, default=300.0)
    parser.add_argument("--after", type=float, default=150.0)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--think", type=float, default=0.05, help="s between a reader's requests")
    parser.add_argument("--write-interval", type=float, default=0.5)
    parser.add_argument("--chunk", type=int, default=1000, help="articles per CLI import")
    parser.add_argument("--chunks", type=int, default=30, help="CLI imports at most")
    parser.add_argument("--sample", type=float, default=15.0, help="s between RSS samples")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    started_at = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    out = args.out or ROOT / "bench" / "results" / f"soak-{started_at}.json"
    with tempfile.TemporaryDirectory(prefix="newsarchive-soak-") as tmp:
        work = Path(tmp)
        data = work / "data"
        env = clean_env(
            data,
            api_token=TOKEN,
            rate_limit_writes="0",
            rate_limit_searches="0",
            rate_limit_pages="0",  # the readers fetch HTML pages too: 429s are not failures here
        )
        run = [sys.executable, "-c", CLI]
        subprocess.run([*run, "migrate"], env=env, check=True, capture_output=True, cwd=ROOT)
        [seed] = write_chunks(work, start=0, size=args.seed, count=1)
        subprocess.run([*run, "import", "-q", str(seed)], env=env, check=True, cwd=ROOT)
        (work / "chunks").mkdir()
        chunks = write_chunks(work / "chunks", start=args.seed, size=args.chunk, count=args.chunks)
        print(f"seeded {args.seed:,} SYNTHETIC articles; load {os.getloadavg()[0]:.2f}", flush=True)
        serve = ["-c", CLI, "serve", "--workers", "2", "--no-access-log"]
        with server_process(serve, env=env, log_path=work / "serve.log") as (base, proc):
            phases = [Phase("before"), Phase("during"), Phase("after")]
            current = [phases[0]]
            stop_reading = threading.Event()
            readers = [
                threading.Thread(
                    target=reader, args=(base, current, stop_reading, args.think, i), daemon=True
                )
                for i in range(args.readers)
            ]
            for thread in readers:
                thread.start()
            clock = time.monotonic()
            samples: list[dict[str, Any]] = []

            def soak(seconds: float, label: str) -> None:
                deadline = time.monotonic() + seconds
                while (left := deadline - time.monotonic()) > 0:
                    samples.extend(sample(proc.pid, clock, label))
                    time.sleep(min(args.sample, left))

            soak(args.before, "before")
            current[0] = phases[1]
            stop_writing = threading.Event()
            writers = [
                threading.Thread(
                    target=writer, args=(base, phases[1], stop_writing, args.write_interval)
                ),
                threading.Thread(target=importer, args=(env, chunks, phases[1], stop_writing)),
            ]
            for thread in writers:
                thread.start()
            soak(args.during, "during")
            stop_writing.set()
            for thread in writers:
                thread.join()  # the import in flight finishes
            current[0] = phases[2]
            soak(args.after, "after")
            stop_reading.set()
            for thread in readers:
                thread.join(timeout=60)
            samples.extend(sample(proc.pid, clock, "end"))
        log_tail = (work / "serve.log").read_text(errors="replace")[-3000:]
    result = {
        "args": vars(args) | {"out": str(out)},
        "load_end": os.getloadavg(),
        "phases": [p.summary() for p in phases],
        "samples": samples,
        "server_log_tail": log_tail,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    for p in result["phases"]:
        print(
            f"{p['phase']:>6}: {p['reads']} reads p50 {p['read_p50_ms']} ms "
            f"p95 {p['read_p95_ms']} ms;"
            f" {p['writes']} writes p50 {p['write_p50_ms']} ms p95 {p['write_p95_ms']} ms;"
            f" errors {p['errors']}; 503 {p['refused_503']}; imports {len(p['imports'])}"
        )
    by_pid: dict[int, list[dict[str, Any]]] = {}
    for row in samples:
        by_pid.setdefault(row["pid"], []).append(row)
    for pid, rows in by_pid.items():
        first, last = rows[0], rows[-1]
        print(
            f"pid {pid} ({first['role']}): RSS {first['rss_mb']} -> {last['rss_mb']} MB "
            f"(max {max(r['rss_mb'] for r in rows)}), open files {first['open_files']} -> "
            f"{last['open_files']} (max {max(r['open_files'] for r in rows)}), "
            f"{len(rows)} samples"
        )
    print(f"load {os.getloadavg()[0]:.2f}; JSON in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
