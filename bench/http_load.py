"""HTTP benchmarks against a live uvicorn on 127.0.0.1: the query mix one request at a time, then
a mixed concurrent load (search API, article reading page, API list) for a fixed duration.

    .venv/bin/python -m bench.http_load --data DIR [--duration 30] [--concurrency 8] [--runs 3]

DIR is an archive data folder (e.g. the `data` folder kept by `python -m bench.reuters --keep`).
The server is `newsarchive serve` (`--workers N` processes, default 1) on a free port, with
differences for measuring capacity: no access log, the search cache off unless asked for, and the
search rate limit off (`NEWSARCHIVE_RATE_LIMIT_SEARCHES=0`; its default of 600 a minute would turn
most of a load test into 429s). Its RSS (VmRSS, and the kernel's peak VmHWM), summed over the
server and its worker processes, is read from /proc/<pid>/status during the load.

The load generator is a bounded asyncio client (httpx2, `--concurrency` requests in flight, each
worker sends its next request when the previous one is answered), running in THIS process on the
same 2 cores as the server: its own CPU time is reported beside the figures, as it takes CPU the
server would otherwise have. `wrk` was not used: it reports one latency histogram per run, not
one per kind of request in a mixed load, and it is not installed here.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2

from bench.reuters import BenchQuery, latency_stats, percentile, query_mix, write_json
from bench.serving import clean_env, server_process

ROOT = Path(__file__).resolve().parent.parent
# Shares of the mixed load: mostly searches, then reading, then listing.
WEIGHTS = {"search": 5, "article": 3, "list": 2}


@dataclass
class Server:
    base: str
    pid: int
    log: Path


@contextmanager
def serve(data_dir: Path, *, log: Path, workers: int = 1, **env: str) -> Iterator[Server]:
    """`newsarchive serve` on `data_dir` (already migrated and loaded) on 127.0.0.1, as users
    run it (with --workers it binds the socket itself, working around uvicorn's missing
    TCP_NODELAY: app/cli.py); stopped afterwards. Repeated queries would be answered from the
    search cache: the work itself is measured unless the caller asks for the cache."""
    environ = clean_env(data_dir, **{"rate_limit_searches": "0", "search_cache_size": "0", **env})
    command = ["-c", "from app.cli.commands import main; main()", "serve", "--host", "127.0.0.1"]
    command += ["--no-access-log", "--workers", str(workers)]
    with server_process(command, env=environ, log_path=log) as (base, proc):
        yield Server(base, proc.pid, log)


# -- server memory -------------------------------------------------------------------------------


def _one_status_kb(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM (peak RSS), RssAnon and RssFile of a process, in KiB, from
    /proc/<pid>/status. RssFile is mostly the index files Whoosh maps (each searcher maps them
    anew, and the same page counts once per mapping); RssAnon is the process's own memory."""
    out: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[key] = int(value.split()[0])
    return out


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def proc_status_kb(pid: int) -> dict[str, int]:
    """The same figures summed over the server process and its children (uvicorn's worker
    processes with --workers; multiprocessing helpers)."""
    total = _one_status_kb(pid)
    for child in _children(pid):
        try:
            for key, value in _one_status_kb(child).items():
                total[key] = total.get(key, 0) + value
        except OSError:
            continue  # a child that has just exited
    return total


class RssSampler:
    """Samples the VmRSS of a process and its children, summed, in a thread every `interval`
    seconds."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        self.pid = pid
        self.interval = interval
        self.samples_kb: list[int] = []
        self.anon_kb: list[int] = []
        self.file_kb: list[int] = []
        self.hwm_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                status = proc_status_kb(self.pid)
            except OSError:
                return
            self.samples_kb.append(status.get("VmRSS", 0))
            self.anon_kb.append(status.get("RssAnon", 0))
            self.file_kb.append(status.get("RssFile", 0))
            self.hwm_kb = max(self.hwm_kb, status.get("VmHWM", 0))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> dict[str, Any]:
        s = self.samples_kb
        return {
            "samples": len(s),
            "rss_mb_start": round(s[0] / 1024, 1) if s else None,
            "rss_mb_median": round(percentile(s, 50) / 1024, 1) if s else None,
            "rss_mb_max": round(max(s) / 1024, 1) if s else None,
            "rss_mb_end": round(s[-1] / 1024, 1) if s else None,
            "vm_hwm_mb": round(self.hwm_kb / 1024, 1),
            "rss_anon_mb_max": round(max(self.anon_kb) / 1024, 1) if self.anon_kb else None,
            "rss_file_mb_max": round(max(self.file_kb) / 1024, 1) if self.file_kb else None,
        }


# -- requests ------------------------------------------------------------------------------------


def search_query(query: BenchQuery) -> list[tuple[str, str]]:
    """The API query string for one query of the mix."""
    p = query.params
    args: list[tuple[str, str]] = [("page_size", str(p.page_size))]
    if p.q is not None:
        args.append(("q", p.q))
    if p.date_from:
        args.append(("from", p.date_from.isoformat()))
    if p.date_to:
        args.append(("to", p.date_to.isoformat()))
    args += [("source", s) for s in p.sources]
    if p.sort != "relevance":
        args.append(("sort", p.sort))
    return args


def sequential_mix(base: str, mix: Sequence[BenchQuery], runs: int) -> dict[str, Any]:
    """The mix through /api/v1/search one request at a time: a warm-up pass, then `runs`."""
    per_query: list[dict[str, Any]] = []
    with httpx2.Client(base_url=base, timeout=60) as client:
        for query in mix:
            r = client.get("/api/v1/search", params=search_query(query))
            row: dict[str, Any] = {
                "kind": query.kind,
                "query": query.label,
                "status": r.status_code,
            }
            if r.status_code == 200:
                row["total_hits"] = r.json()["total"]
            row["samples_ms"] = []
            per_query.append(row)
        errors = sum(1 for row in per_query if row["status"] != 200)
        for _ in range(runs):
            for query, row in zip(mix, per_query, strict=True):
                started = time.perf_counter()
                r = client.get("/api/v1/search", params=search_query(query))
                row["samples_ms"].append(round((time.perf_counter() - started) * 1000, 3))
                errors += r.status_code != 200
    by_kind: dict[str, list[float]] = {}
    for row in per_query:
        by_kind.setdefault(row["kind"], []).extend(row["samples_ms"])
        row["p50_ms"] = round(percentile(row["samples_ms"], 50), 2)
    return {
        "runs": runs,
        "queries": len(mix),
        "errors": errors,
        "overall": latency_stats([s for row in per_query for s in row["samples_ms"]]),
        "by_kind": {kind: latency_stats(s) for kind, s in by_kind.items()},
        "per_query": per_query,
    }


def article_paths(base: str, *, count: int, seed: int) -> list[str]:
    """Canonical reading-page paths of up to `count` articles from random pages of the API list
    (the canonical path has a slug; `/articles/{id}` alone answers with a redirect)."""
    rng = random.Random(seed)
    paths: list[str] = []
    with httpx2.Client(base_url=base, timeout=60) as client:
        first = client.get("/api/v1/articles", params={"page_size": 200}).json()
        total = first.get("total") or 200
        pages = list(range(1, max(1, min(total // 200, 500)) + 1))
        rng.shuffle(pages)
        for page in pages:
            body = client.get("/api/v1/articles", params={"page_size": 200, "page": page}).json()
            paths += [urlsplit(a["links"]["html"]).path for a in body["results"]]
            if len(paths) >= count:
                break
    rng.shuffle(paths)
    return paths[:count]


def list_queries(mix: Sequence[BenchQuery]) -> list[list[tuple[str, str]]]:
    """API list requests: newest first, some deeper pages, and the mix's date and source filters
    (without their words)."""
    out: list[list[tuple[str, str]]] = [[("page_size", "20"), ("page", str(n))] for n in (1, 2, 5)]
    for query in mix:
        args = [(k, v) for k, v in search_query(query) if k in ("from", "to", "source")]
        if args and args not in out:
            out.append([("page_size", "20"), *args])
    return out


@dataclass
class LoadResult:
    samples: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, dict[int, int]] = field(default_factory=dict)
    connection_errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    client_cpu_s: float = 0.0


async def _load(
    base: str,
    plan: dict[str, list[tuple[str, list[tuple[str, str]]]]],
    *,
    duration: float,
    concurrency: int,
    seed: int,
) -> LoadResult:
    result = LoadResult()
    kinds = [k for k, w in WEIGHTS.items() for _ in range(w) if plan.get(k)]
    cycles = {k: itertools.cycle(v) for k, v in plan.items() if v}
    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx2.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        deadline = time.perf_counter() + duration

        async def worker(n: int) -> None:
            rng = random.Random(seed * 1000 + n)
            while time.perf_counter() < deadline:
                kind = rng.choice(kinds)
                path, params = next(cycles[kind])
                started = time.perf_counter()
                try:
                    r = await client.get(path, params=params)
                except httpx2.HTTPError:
                    result.connection_errors[kind] = result.connection_errors.get(kind, 0) + 1
                    await asyncio.sleep(0.05)  # a dead server must not turn this into a busy loop
                    continue
                elapsed = (time.perf_counter() - started) * 1000
                result.samples.setdefault(kind, []).append(elapsed)
                counts = result.statuses.setdefault(kind, {})
                counts[r.status_code] = counts.get(r.status_code, 0) + 1

        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        result.seconds = time.perf_counter() - wall
        result.client_cpu_s = time.process_time() - cpu
    return result


def sequential_pages(
    base: str, mix: Sequence[BenchQuery], paths: Sequence[str], runs: int
) -> dict[str, Any]:
    """Reading pages and API lists one request at a time: each article path once (different
    articles, after 5 warm-up requests), each list request `runs` times."""
    samples: dict[str, list[float]] = {"article": [], "list": []}
    errors = 0
    with httpx2.Client(base_url=base, timeout=60) as client:
        for path in paths[:5]:
            client.get(path)
        requests = [("article", p, []) for p in paths]
        requests += [("list", "/api/v1/articles", a) for a in list_queries(mix)] * runs
        for kind, path, params in requests:
            started = time.perf_counter()
            r = client.get(path, params=params)
            samples[kind].append((time.perf_counter() - started) * 1000)
            errors += r.status_code != 200
    return {"errors": errors, "by_kind": {k: latency_stats(v) for k, v in samples.items()}}


def concurrent_load(
    server: Server,
    mix: Sequence[BenchQuery],
    *,
    duration: float,
    concurrency: int,
    paths: Sequence[str],
    seed: int = 7,
) -> dict[str, Any]:
    """The mixed load for `duration` seconds with `concurrency` requests in flight."""
    plan: dict[str, list[tuple[str, list[tuple[str, str]]]]] = {
        "search": [("/api/v1/search", search_query(q)) for q in mix],
        "article": [(p, []) for p in paths],
        "list": [("/api/v1/articles", args) for args in list_queries(mix)],
    }
    with RssSampler(server.pid) as rss:
        loaded = asyncio.run(
            _load(server.base, plan, duration=duration, concurrency=concurrency, seed=seed)
        )
    by_kind: dict[str, Any] = {}
    for kind, samples in loaded.samples.items():
        statuses = loaded.statuses.get(kind, {})
        by_kind[kind] = {
            **latency_stats(samples),
            "requests_per_s": round(len(samples) / loaded.seconds, 1),
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "errors": sum(v for k, v in statuses.items() if not 200 <= k < 300)
            + loaded.connection_errors.get(kind, 0),
        }
    answered = sum(len(s) for s in loaded.samples.values())
    all_samples = [x for s in loaded.samples.values() for x in s]
    return {
        "duration_s": round(loaded.seconds, 1),
        "concurrency": concurrency,
        "weights": WEIGHTS,
        "distinct_urls": {k: len(v) for k, v in plan.items()},
        "requests": answered,
        "requests_per_s": round(answered / loaded.seconds, 1),
        "errors": sum(k["errors"] for k in by_kind.values())
        + sum(v for k, v in loaded.connection_errors.items() if k not in by_kind),
        "connection_errors": sum(loaded.connection_errors.values()),
        "overall": latency_stats(all_samples),
        "by_kind": by_kind,
        "client_cpu_s": round(loaded.client_cpu_s, 1),
        "client_cpu_share": round(loaded.client_cpu_s / loaded.seconds, 2),
        "server_rss": rss.summary(),
        "note": "load generator (asyncio, httpx2) in the same process as the benchmark, "
        f"sharing the machine's {os.cpu_count()} CPUs with the server",
    }


def run_http(
    data_dir: Path,
    mix: Sequence[BenchQuery],
    *,
    runs: int,
    duration: float,
    concurrency: int,
    log: Path,
    cache_size: int = 0,
    workers: int = 1,
) -> dict[str, Any]:
    """Start the server on `data_dir`, run the sequential mix, then the concurrent load."""
    with serve(data_dir, log=log, workers=workers, search_cache_size=str(cache_size)) as server:
        idle = proc_status_kb(server.pid)
        sequential = sequential_mix(server.base, mix, runs)
        paths = article_paths(server.base, count=1000, seed=7)
        pages = sequential_pages(server.base, mix, paths[:200], runs)
        after_mix = proc_status_kb(server.pid)
        load = concurrent_load(server, mix, duration=duration, concurrency=concurrency, paths=paths)
    return {
        "server": f"newsarchive serve ({workers} worker process(es), "
        "no access log, "
        f"search rate limit off, search cache size {cache_size}), 127.0.0.1",
        "rss_mb_idle": round(idle["VmRSS"] / 1024, 1),
        "rss_mb_after_sequential": round(after_mix["VmRSS"] / 1024, 1),
        "sequential": sequential,
        "sequential_pages": pages,
        "load": load,
    }


def print_http(result: dict[str, Any]) -> None:
    seq, load = result["sequential"], result["load"]
    print(
        f"\nHTTP /api/v1/search, one at a time: {seq['queries']} queries x {seq['runs']} runs "
        f"({seq['errors']} errors)"
    )
    for kind, s in [*seq["by_kind"].items(), ("ALL", seq["overall"])]:
        print(
            f"  {kind:<10} p50 {s['p50_ms']:>7.1f}  p95 {s['p95_ms']:>7.1f}  "
            f"p99 {s['p99_ms']:>7.1f} ms"
        )
    pages = result["sequential_pages"]
    for kind, s in pages["by_kind"].items():
        label = "reading page" if kind == "article" else "API list"
        print(
            f"  {label:<12} one at a time ({s['n']} requests): p50 {s['p50_ms']:.1f}  "
            f"p95 {s['p95_ms']:.1f}  p99 {s['p99_ms']:.1f} ms"
        )
    if pages["errors"]:
        print(f"  ERRORS on pages and lists: {pages['errors']}")
    print(
        f"\nHTTP mixed load: {load['concurrency']} in flight for {load['duration_s']} s: "
        f"{load['requests']:,} requests, {load['requests_per_s']} requests/s, "
        f"{load['errors']} errors ({load['connection_errors']} connection errors)"
    )
    print(f"  {'kind':<8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  statuses")
    for kind, s in [*load["by_kind"].items(), ("ALL", load["overall"])]:
        rate = s.get("requests_per_s", load["requests_per_s"])
        print(
            f"  {kind:<8} {rate:>7.1f} {s['p50_ms']:>8.1f} {s['p95_ms']:>8.1f} "
            f"{s['p99_ms']:>8.1f}  {s.get('statuses', '')}"
        )
    rss = load["server_rss"]
    print(
        f"  server RSS: idle {result['rss_mb_idle']} MB, under load median "
        f"{rss['rss_mb_median']} MB, max {rss['rss_mb_max']} MB, peak (VmHWM) {rss['vm_hwm_mb']} MB"
        f" (at most {rss.get('rss_anon_mb_max')} MB own memory, {rss.get('rss_file_mb_max')} MB "
        "mapped index files)"
    )
    print(
        f"  load generator CPU: {load['client_cpu_s']} s ({load['client_cpu_share']:.0%} of one "
        f"core) -- it shares the {os.cpu_count()} CPUs with the server"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.http_load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--data", type=Path, required=True, help="archive data folder")
    parser.add_argument("--runs", type=int, default=3, help="timed passes of the sequential mix")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of mixed load")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument("--mix", choices=("reuters", "synthetic"), default="reuters")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--cache-size", type=int, default=0, help="server's search cache (default 0: off)"
    )
    parser.add_argument("--out", type=Path, default=None, help="JSON results file")
    args = parser.parse_args(argv)
    if not (args.data / "archive.db").is_file():
        print(f"skipped: {args.data / 'archive.db'} not found")
        return 0
    mix = query_mix(args.mix)
    result = run_http(
        args.data,
        mix,
        runs=args.runs,
        duration=args.duration,
        concurrency=args.concurrency,
        log=args.data / "bench-server.log",
        workers=args.workers,
        cache_size=args.cache_size,
    )
    print_http(result)
    if args.out:
        write_json(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
