"""Where a PostgreSQL search spends its time: each query of the synthetic mix (bench.scale) through
`search_articles` (snippets, exact totals), split into the SQL statements it sends, and the
`EXPLAIN (ANALYZE, BUFFERS)` of the slowest ones.

    .venv/bin/python -m bench.pg_explain --url postgresql+psycopg://... [--explain 3] [--runs 3]

The database is one `bench.scale` left behind (its data stays in the bench database after the
run). Prints, per query: the median time of the whole search over the runs, the time of each
statement of the last run (statements over 1 ms), and with --explain N the plans of the N
slowest statements of the whole mix. JSON with --out.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from app.archive import open_archive
from app.config import Settings
from app.services.searching import search_articles
from bench.scale import QUERY_MIX


def _short(statement: str, width: int = 90) -> str:
    flat = " ".join(statement.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the PostgreSQL database of a bench run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--explain", type=int, default=3, help="plans of the N slowest statements")
    parser.add_argument("--kinds", default="", help="only these query kinds (comma-separated)")
    parser.add_argument(
        "--no-rum", action="store_true", help="ignore a RUM index (the in-database order)"
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    kinds = {k for k in args.kinds.split(",") if k}
    settings = Settings(database_url=args.url, search_backend="postgres", search_cache_size=0)  # type: ignore[call-arg]
    archive = open_archive(settings)
    if args.no_rum:
        archive.search._rum_operator = ""  # type: ignore[attr-defined]
    sent: list[tuple[str, Any, float]] = []
    started: list[float] = []

    def before(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        started.append(time.perf_counter())

    def after(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        sent.append((statement, params, (time.perf_counter() - started.pop()) * 1000))

    event.listen(archive.engine, "before_cursor_execute", before)
    event.listen(archive.engine, "after_cursor_execute", after)
    report: list[dict[str, Any]] = []
    every: list[float] = []
    slowest: list[tuple[float, str, str, Any]] = []
    try:
        for bench_query in QUERY_MIX:
            if kinds and bench_query.kind not in kinds:
                continue
            times = []
            for _ in range(args.runs + 1):  # the first is a warm-up
                sent.clear()
                t0 = time.perf_counter()
                page = search_articles(archive, params=bench_query.params)
                times.append((time.perf_counter() - t0) * 1000)
            label = f"{bench_query.kind}: {bench_query.params.q!r}"
            statements = [(ms, s, p) for s, p, ms in sent]
            median = statistics.median(times[1:])
            every.extend(times[1:])
            print(f"{median:8.1f} ms  total {page.total:>7,}  {label}")
            for ms, statement, _ in statements:
                if ms >= 1:
                    print(f"           {ms:8.1f} ms  {_short(statement)}")
            slowest.extend((ms, label, s, p) for ms, s, p in statements)
            report.append(
                {
                    "kind": bench_query.kind,
                    "q": bench_query.params.q,
                    "total": page.total,
                    "median_ms": round(median, 1),
                    "statements": [
                        {"ms": round(ms, 1), "sql": _short(s, 300)} for ms, s, _ in statements
                    ],
                }
            )
        event.remove(archive.engine, "before_cursor_execute", before)
        event.remove(archive.engine, "after_cursor_execute", after)
        cuts = statistics.quantiles(every, n=20) if len(every) > 1 else every * 19
        overall = {
            "searches": len(every),
            "p50_ms": round(cuts[9], 1),
            "p95_ms": round(cuts[18], 1),
        }
        print(
            f"\nall {len(every)} searches: p50 {overall['p50_ms']} ms, p95 {overall['p95_ms']} ms"
        )
        slowest.sort(key=lambda row: -row[0])
        plans = []
        with archive.engine.connect() as conn:
            for ms, label, statement, params in slowest[: args.explain]:
                rows = conn.exec_driver_sql(
                    "EXPLAIN (ANALYZE, BUFFERS) " + statement, params
                ).scalars()
                plan = "\n".join(rows)
                print(f"\n== {ms:.1f} ms, {label}\n{statement}\n{plan}")
                plans.append({"ms": round(ms, 1), "query": label, "sql": statement, "plan": plan})
    finally:
        archive.close()
    if args.out:
        args.out.write_text(
            json.dumps({"overall": overall, "queries": report, "plans": plans}, indent=1)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
