"""Scale benchmark: the same SYNTHETIC corpus (bench/synthetic.py) at 100k and 300k articles on
SQLite + Whoosh and on PostgreSQL, through the archive's own write and search paths.

    .venv/bin/python -m bench.scale                       # both backends, 100k then 300k
    .venv/bin/python -m bench.scale --sizes 5000 --backends postgres     # a quick run

Each backend gets a fresh archive; articles are added with the service layer in batches
(database + index, one transaction and one index commit per batch, as `newsarchive import`
does), first up to the first size, then on to the next, measuring search after each step.
PostgreSQL comes from scripts/ensure-postgres (its own role and database, so tests running at
the same time cannot disturb it). Results: a table on stdout and JSON in bench/results/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from app.archive import Archive, open_archive
from app.config import Settings
from app.migrate import reset_postgres_schema, upgrade
from app.services.articles import add_articles
from app.services.searching import SearchParams
from bench.reuters import BenchQuery, disk_usage, machine_info, max_rss_mb, run_searches
from bench.synthetic import generate

ROOT = Path(__file__).resolve().parent.parent
PAGE_SIZE = 10
_D = dt.date


def _q(kind: str, q: str | None, **kwargs: Any) -> BenchQuery:
    return BenchQuery(kind, SearchParams(q=q, page_size=PAGE_SIZE, **kwargs))


QUERY_MIX: tuple[BenchQuery, ...] = (
    _q("word", "oil"),
    _q("word", "government"),
    _q("word", "election"),
    _q("word", "coffee"),
    _q("word", "champion"),
    _q("word", "broadband"),
    _q("two_words", "crude oil"),
    _q("two_words", "interest rates"),
    _q("two_words", "film awards"),
    _q("two_words", "labour party"),
    _q("phrase", '"prime minister"'),
    _q("phrase", '"trade deficit"'),
    _q("phrase", '"mobile phone"'),
    _q("phrase", '"net loss"'),
    _q("prefix", "export*"),
    _q("prefix", "elect*"),
    _q("prefix", "digit*"),
    _q("boolean", "coffee OR cocoa"),
    _q("boolean", "oil NOT opec"),
    _q("boolean", "(gold OR silver) prices"),
    _q("field", "title:oil"),
    _q("field", "title:profit"),
    _q("field", "author:garcia"),
    _q("date", "oil", date_from=_D(2001, 1, 1), date_to=_D(2001, 12, 31)),
    _q("date", "government", date_from=_D(2010, 1, 1), date_to=_D(2014, 12, 31)),
    _q("date", '"interest rates"', date_from=_D(1995, 6, 1), date_to=_D(1996, 5, 31)),
    _q("date", None, date_from=_D(2020, 3, 1), date_to=_D(2020, 3, 31)),
    _q("source", "oil", sources=("Reuters",)),
    _q("source", "election", sources=("BBC", "CNN")),
    _q("newest", "oil", sort="newest"),
    _q("newest", '"prime minister"', sort="newest"),
    _q("newest", None, sort="newest"),
)


def postgres_available() -> bool:
    try:
        postgres_url()
    except subprocess.CalledProcessError as exc:
        print(exc.stderr.strip(), file=sys.stderr)
        return False
    return True


def postgres_url() -> str:
    import os

    # Several checkouts may bench at once: NEWSARCHIVE_BENCH_PG_DB gives each its own database.
    db = os.environ.get("NEWSARCHIVE_BENCH_PG_DB", "newsarchive_bench")
    env = {"NEWSARCHIVE_PG_ROLE": "newsarchive_bench", "NEWSARCHIVE_PG_DB": db}

    out = subprocess.run(
        [str(ROOT / "scripts" / "ensure-postgres")],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


# Session settings for a machine with RAM to spare (24 GiB here); applied per database with
# --pg-tuned, so nothing else on the server changes. shared_buffers needs a restart and stays at
# the server's value (Debian's default is 128 MB).
PG_TUNING = {"work_mem": "64MB", "random_page_cost": "1.1", "effective_cache_size": "16GB"}


def postgres_settings(url: str) -> dict[str, str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        names = ["shared_buffers", *PG_TUNING]
        values = {n: str(conn.execute(text(f"SHOW {n}")).scalar()) for n in names}
    engine.dispose()
    return values


def fresh_postgres(url: str, *, tuned: bool) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        database = conn.execute(text("SELECT current_database()")).scalar()
        for name, value in PG_TUNING.items():
            if tuned:
                conn.execute(text(f"ALTER DATABASE {database} SET {name} = '{value}'"))
            else:
                conn.execute(text(f"ALTER DATABASE {database} RESET {name}"))
    reset_postgres_schema(engine)
    engine.dispose()


def postgres_sizes(archive: Archive) -> dict[str, int]:
    with archive.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT pg_total_relation_size('articles'), pg_relation_size('articles'), "
                "pg_indexes_size('articles'), "
                "pg_relation_size('ix_articles_search_vector') "
                "+ pg_relation_size('ix_articles_title_vector'), "
                "(SELECT sum(pg_column_size(search_vector) + pg_column_size(title_vector)) "
                "FROM articles), "
                "pg_database_size(current_database())"
            )
        ).one()
    keys = [
        "articles_total",
        "articles_heap",
        "articles_indexes",
        "fts_gin_indexes",
        "fts_vectors",
        "database",
    ]
    return {k: int(v or 0) for k, v in zip(keys, row, strict=True)}


def load(archive: Archive, start: int, count: int, batch: int, seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    added = dup = 0
    text_bytes = 0
    items = []
    last_report = started
    for item in generate(count, seed=seed, start=start):
        items.append(item)
        text_bytes += len(item.body.encode())
        if len(items) >= batch:
            for o in add_articles(archive, items=items):
                added += o.status == "added"
                dup += o.status == "duplicate"
            items = []
            now = time.perf_counter()
            if now - last_report > 30:
                done = added + dup
                print(f"    {start + done:,} articles, {done / (now - started):.0f}/s", flush=True)
                last_report = now
    if items:
        for o in add_articles(archive, items=items):
            added += o.status == "added"
            dup += o.status == "duplicate"
    elapsed = time.perf_counter() - started
    return {
        "added": added,
        "duplicates": dup,
        "seconds": round(elapsed, 1),
        "articles_per_s": round((added + dup) / elapsed, 1),
        "text_bytes": text_bytes,
    }


def run_backend(
    backend: str,
    sizes: list[int],
    work: Path,
    batch: int,
    seed: int,
    runs: int,
    *,
    pg_tuned: bool = False,
) -> dict[str, Any]:
    data = work / backend
    data.mkdir(parents=True)
    if backend == "postgres":
        url = postgres_url()
        fresh_postgres(url, tuned=pg_tuned)
        settings = Settings(data_dir=data, database_url=url, search_backend="postgres")
    else:
        settings = Settings(data_dir=data, search_backend="whoosh", search_cache_size=0)
    settings.ensure_dirs()
    upgrade(settings.resolved_database_url())
    archive = open_archive(settings)
    steps = []
    loaded = 0
    text_total = 0
    try:
        for size in sizes:
            print(f"  {backend}: loading {loaded:,} -> {size:,}", flush=True)
            step = load(archive, loaded, size - loaded, batch, seed)
            text_total += step.pop("text_bytes")
            loaded = size
            print(f"  {backend}: searching at {size:,}", flush=True)
            searches = run_searches(archive, QUERY_MIX, runs)
            sizes_info: dict[str, Any] = {"raw_text_bytes": text_total}
            if backend == "postgres":
                sizes_info.update(postgres_sizes(archive))
            else:
                sizes_info["whoosh_index"] = disk_usage(settings.resolved_index_dir())
                sizes_info["sqlite"] = disk_usage(data / "archive.db")
            steps.append(
                {
                    "size": size,
                    "import": step,
                    "search": searches,
                    "sizes": sizes_info,
                    "rss_mb": round(max_rss_mb(), 1),
                }
            )
            print(
                f"  {backend} @ {size:,}: import {step['articles_per_s']}/s, search p50 "
                f"{searches['overall']['p50_ms']} ms p95 {searches['overall']['p95_ms']} ms",
                flush=True,
            )
    finally:
        archive.close()
    result: dict[str, Any] = {"backend": backend, "steps": steps}
    if backend == "postgres":
        result["server_settings"] = postgres_settings(settings.resolved_database_url())
    return result


def print_table(results: list[dict[str, Any]]) -> None:
    print("\nSYNTHETIC corpus (recombined Reuters + BBC sentences)")
    print(
        f"{'backend':<10}{'articles':>10}{'import/s':>10}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'index MB':>10}{'text MB':>9}"
    )
    for r in results:
        for s in r["steps"]:
            sizes = s["sizes"]
            if r["backend"] == "postgres":
                index = sizes["fts_gin_indexes"] + sizes["fts_vectors"]
            else:
                index = sizes["whoosh_index"]["disk_bytes"]
            print(
                f"{r['backend']:<10}{s['size']:>10,}{s['import']['articles_per_s']:>10}"
                f"{s['search']['overall']['p50_ms']:>9}{s['search']['overall']['p95_ms']:>9}"
                f"{index / 2**20:>10.0f}{sizes['raw_text_bytes'] / 2**20:>9.0f}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,300000")
    parser.add_argument("--backends", default="postgres,whoosh")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1987)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--pg-tuned",
        action="store_true",
        help=f"set {', '.join(PG_TUNING)} on the benchmark database",
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "scale.json"))
    args = parser.parse_args(argv)
    try:
        next(generate(1, seed=args.seed))
    except FileNotFoundError as exc:
        print(f"skipped: corpus not found ({exc.filename})")
        return 0
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="na-scale-") as tmp:
        for backend in args.backends.split(","):
            if backend == "postgres" and not postgres_available():
                print("skipped postgres: scripts/ensure-postgres found no server (it says why)")
                continue
            results.append(
                run_backend(
                    backend,
                    sizes,
                    Path(tmp),
                    args.batch,
                    args.seed,
                    args.runs,
                    pg_tuned=args.pg_tuned,
                )
            )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "machine": machine_info(),
                "synthetic": True,
                "sizes": sizes,
                "batch": args.batch,
                "results": results,
            },
            indent=2,
            default=str,
        )
    )
    print_table(results)
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
