"""PostgreSQL per-language analysis (migration d7e2a4c9b1f5): what it costs the COPY import and
a query, in one run on one database.

    .venv/bin/python -m bench.pg_languages [--rows 20000] [--batch 1000] [--runs 20]

The multilingual test paragraphs (tests/fixtures/multilingual.json: ten languages, CJK among
them), numbered so each copy is a new article, are stored through the import's COPY path
(app.services.pg_bulk.insert_new, batches of --batch) into a freshly migrated database
(NEWSARCHIVE_BENCH_PG_DB, default newsarchive_bench, through scripts/ensure-postgres; its
`public` schema is DROPPED first), twice: with each paragraph's language, and with no language
(every row analysed as English, what every row cost before this migration). Prints rows/s of
each. Then, on the archive with languages, the median time of a few queries through
`search_articles` (relevance order, 10 results, exact totals) with all the archive's languages
analysed and with `lang=` one language. Nothing is written to the repository.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.archive import open_archive
from app.config import Settings
from app.migrate import reset_postgres_schema, upgrade
from app.models import Article
from app.services import pg_bulk
from app.services.searching import SearchParams, search_articles
from bench.scale import postgres_available, postgres_url

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "multilingual.json"
QUERIES = [("Regierung", "de"), ("知事", "ja"), ("regional", "fr"), ("budget", "en")]


def articles(count: int, *, languages: bool) -> list[Article]:
    paragraphs = json.loads(FIXTURES.read_text())
    now = dt.datetime(2024, 1, 1)
    out = []
    for i in range(count):
        p = paragraphs[i % len(paragraphs)]
        body = f"{p['body']} ({i})"
        out.append(
            Article(
                title=p["title"],
                title_derived=False,
                body=body,
                published=dt.date(2020, 1, 1) + dt.timedelta(days=i % 1500),
                language=p["lang"] if languages else None,
                word_count=len(body.split()),
                content_hash=hashlib.sha256(body.encode()).hexdigest(),
                created_at=now,
                updated_at=now,
            )
        )
    return out


def load(url: str, rows: list[Article], batch: int) -> float:
    """A fresh schema, then `rows` COPYed in batches; rows/s."""
    engine = create_engine(url)
    reset_postgres_schema(engine)
    upgrade(url)
    start = time.perf_counter()
    for at in range(0, len(rows), batch):
        with Session(engine) as session, session.begin():
            pg_bulk.insert_new(session, rows[at : at + batch], outbox=False)
    elapsed = time.perf_counter() - start
    with engine.begin() as conn:
        conn.execute(text("ANALYZE articles"))
    engine.dispose()
    return len(rows) / elapsed


def query_times(url: str, runs: int) -> dict[str, float]:
    """Median ms of each query, every language analysed and with lang= its language."""
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as work:
        settings = Settings(data_dir=Path(work), database_url=url, search_backend="postgres")
        archive = open_archive(settings)
        try:
            for q, lang in QUERIES:
                for label, langs in (("all", ()), (f"lang={lang}", (lang,))):
                    params = SearchParams(q=q, page_size=10, languages=langs)
                    times = []
                    for _ in range(runs + 2):
                        start = time.perf_counter()
                        search_articles(archive, params=params)
                        times.append(time.perf_counter() - start)
                    out[f"{q} [{label}]"] = 1000 * statistics.median(times[2:])
        finally:
            archive.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    if not postgres_available():
        print("skipped: no PostgreSQL (scripts/ensure-postgres)")
        return 0
    url = postgres_url()
    english = load(url, articles(args.rows, languages=False), args.batch)
    per_language = load(url, articles(args.rows, languages=True), args.batch)
    print(f"COPY import, {args.rows} rows, batches of {args.batch}:")
    print(f"  no language (all analysed as English, the old cost): {english:8.0f} rows/s")
    print(f"  each row's language (CJK bigrams in SQL):            {per_language:8.0f} rows/s")
    print(f"query (median of {args.runs}, ms, 10 results, exact total):")
    for name, ms in query_times(url, args.runs).items():
        print(f"  {name:24s} {ms:7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
