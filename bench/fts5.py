"""SQLite FTS5 baseline: the same articles and the same query mix as the archive, in one run.

    .venv/bin/python -m bench.fts5 --data DIR [--runs 5] [--mix reuters|synthetic]

DIR is an archive data folder (e.g. the `data` folder kept by `python -m bench.reuters --keep`):
its articles are read from `archive.db`, loaded into a fresh FTS5 database in a temporary file
(timed: articles/s), and the query mix is run against it with top-10, an exact count and
`snippet()`, as the archive's `search_articles` does. `bench.suite` calls the same functions.

The design is what a plain SQLite application would do: an ordinary `articles` table (id, title,
body, date, source, authors) with indexes on date and source, and an external-content FTS5 table
over title, body, authors and source (`porter unicode61 remove_diacritics 2`), ranked by
`bm25()` with the title weighted 2.0 (Ranking.title_weight in app/search/base.py). Date and
source filters and newest-first order are plain SQL on the joined `articles` row.

Where the translation of our query language is NOT exactly equivalent to the archive:

- stemming: FTS5's porter stemmer (Porter 1) vs Whoosh's Snowball English stemmer (Porter 2) in
  app/search/whoosh_analysis.py (Whoosh also folds "U.S." to "us" and strips possessives
  first; FTS5's unicode61 splits "U.S." into "u" "s" and "Russia's" into "russia" "s"). Plain
  words match the same documents almost always; totals are compared per query in the report,
  so a gap is visible.
- prefix (`export*`): FTS5 matches the prefix against *stemmed* tokens (porter runs before the
  prefix lookup), the archive against unstemmed words. The same for the mix's prefixes, which are
  shorter than any stem of the words they reach; a prefix longer than the stem ("exporting*")
  would find less in FTS5.
- unfielded terms search title and body only (`{title body} : ...`), as the archive does;
  `author:` searches the authors column, porter-stemmed here, exact in the archive.
- ranking: FTS5's bm25 (k1 1.2, b 0.75, per-column weights) vs the archive's own BM25F
  (app/search/whoosh_backend.py: its k1, b, idf power and exact-form boosts); the top 10 can
  differ, the match sets and totals should not.
- NOT: FTS5's NOT is binary (`a NOT b`). `a -b c` becomes `(a AND c) NOT (b)`; a query that is only
  negative (`NOT x`) becomes `id NOT IN (matches of x)`, newest first; NOT inside OR
  (`a OR NOT b`) has no FTS5 form and raises Untranslatable (none is in the mixes).
- snippets: `snippet()` of the body column (its start when the match is only in the title), about
  24 tokens; the archive highlights in Python, about 240 characters, and escapes HTML.
- the FTS5 import times inserts plus indexing only; the archive's import time also covers reading
  and parsing the files, writing provenance and people rows, and its outbox.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.search import query as q
from app.services.searching import SearchParams
from bench.reuters import (
    BenchQuery,
    disk_usage,
    latency_stats,
    percentile,
    query_mix,
    write_json,
)

TITLE_WEIGHT = 2.0
SNIPPET_TOKENS = 24
BATCH = 1000
_COLUMNS = {None: "{title body}", "title": "title", "body": "body"}
_COLUMNS.update({"author": "authors", "source": "source"})


class Untranslatable(ValueError):
    """The query has no FTS5 equivalent (e.g. NOT inside OR)."""


@dataclass(frozen=True)
class FtsArticle:
    id: int
    title: str
    body: str
    published: dt.date
    source: str | None
    authors: tuple[str, ...] = ()


@dataclass
class FtsHit:
    id: int
    title: str
    published: str
    source: str | None
    snippet: str


@dataclass
class FtsPage:
    total: int
    items: list[FtsHit]


# -- articles in ---------------------------------------------------------------------------------


def read_archive_articles(database: Path) -> list[FtsArticle]:
    """Every article of an archive's SQLite database, with its authors in order."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        authors: dict[int, list[str]] = {}
        for article_id, name in conn.execute(
            "SELECT article_id, name FROM article_people WHERE role = 'author' "
            "ORDER BY article_id, position"
        ):
            authors.setdefault(article_id, []).append(name)
        return [
            FtsArticle(
                id=row[0],
                title=row[1],
                body=row[2],
                published=dt.date.fromisoformat(row[3][:10]),
                source=row[4],
                authors=tuple(authors.get(row[0], ())),
            )
            for row in conn.execute(
                "SELECT id, title, body, published, source FROM articles ORDER BY id"
            )
        ]
    finally:
        conn.close()


def raw_text_bytes(articles: Iterable[FtsArticle]) -> int:
    """UTF-8 bytes of every title and body: the text an index is built from."""
    return sum(len(a.title.encode()) + len(a.body.encode()) for a in articles)


def source_key(source: str | None) -> str:
    """The archive's source filter key (app/search/whoosh_backend.py): spaces folded, casefolded."""
    return " ".join((source or "").split()).casefold()


_SCHEMA = f"""
CREATE TABLE articles(
    id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL, published TEXT NOT NULL,
    source TEXT, source_key TEXT NOT NULL, authors TEXT NOT NULL);
CREATE INDEX articles_published ON articles(published, id);
CREATE INDEX articles_source ON articles(source_key, published);
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, body, authors, source, content='articles', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2');
INSERT INTO articles_fts(articles_fts, rank) VALUES('rank', 'bm25({TITLE_WEIGHT}, 1.0, 1.0, 1.0)');
"""


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    # The pragmas a tuned SQLite application would use (and the archive uses for its database).
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def build_fts5(path: Path, articles: Sequence[FtsArticle], *, batch: int = BATCH) -> dict[str, Any]:
    """Create the FTS5 database at `path` and load `articles` in transactions of `batch`."""
    conn = connect(path)
    try:
        conn.executescript(_SCHEMA)
        started = time.perf_counter()
        for start in range(0, len(articles), batch):
            chunk = articles[start : start + batch]
            rows = [
                (
                    a.id,
                    a.title,
                    a.body,
                    a.published.isoformat(),
                    a.source,
                    source_key(a.source),
                    ", ".join(a.authors),
                )
                for a in chunk
            ]
            with conn:
                conn.executemany("INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
                conn.executemany(
                    "INSERT INTO articles_fts(rowid, title, body, authors, source) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [(r[0], r[1], r[2], r[6], r[4]) for r in rows],
                )
        seconds = time.perf_counter() - started
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return {
        "articles": len(articles),
        "batch": batch,
        "seconds": round(seconds, 3),
        "articles_per_s": round(len(articles) / seconds, 1) if seconds else None,
        "size": disk_usage(path),
    }


# -- the query language in FTS5 ------------------------------------------------------------------


def _string(text: str) -> str:
    """An FTS5 string: the tokenizer splits it, several tokens make a phrase."""
    return '"' + text.replace('"', '""') + '"'


def _leaf(node: q.Term | q.Phrase | q.Prefix) -> str:
    columns = _COLUMNS[node.field]
    star = "*" if isinstance(node, q.Prefix) else ""
    return f"{columns} : {_string(node.text)}{star}"


def to_match(node: q.Node) -> str:
    """A positive query node as an FTS5 MATCH expression (every operand parenthesised, as
    FTS5's precedence NOT > AND > OR differs from ours)."""
    if isinstance(node, q.Term | q.Phrase | q.Prefix):
        return _leaf(node)
    if isinstance(node, q.Not):
        raise Untranslatable("a NOT with nothing positive beside it")
    if isinstance(node, q.Or):
        if any(isinstance(c, q.Not) for c in node.children):
            raise Untranslatable("NOT inside OR has no FTS5 form")
        return " OR ".join(f"({to_match(c)})" for c in node.children)
    positive = [c for c in node.children if not isinstance(c, q.Not)]
    negative = [c.child for c in node.children if isinstance(c, q.Not)]
    if not positive:
        raise Untranslatable("only negative terms")
    expr = " AND ".join(f"({to_match(c)})" for c in positive)
    if negative:
        expr = f"({expr}) NOT ({' OR '.join(f'({to_match(c)})' for c in negative)})"
    return expr


def split_query(node: q.Node | None) -> tuple[str | None, str | None]:
    """(positive MATCH, excluded MATCH): a query that is only negative excludes, newest first."""
    if node is None:
        return None, None
    if isinstance(node, q.Not):
        return None, to_match(node.child)
    if isinstance(node, q.And) and all(isinstance(c, q.Not) for c in node.children):
        return None, " OR ".join(f"({to_match(c.child)})" for c in node.children)  # type: ignore[union-attr]
    return to_match(node), None


def _filters(params: SearchParams, *, after_match: bool) -> tuple[list[str], list[Any]]:
    """SQL conditions on the joined `articles` row. After a MATCH they are written `+column` so
    that SQLite drives the join from the FTS5 matches and checks each row: otherwise its planner
    starts from the source index and probes FTS5 once per article of that source (7 ms instead
    of 0.04 ms for `oil` in Reuters at 2,000 articles)."""
    col = "+a." if after_match else "a."
    if params.authors:
        raise Untranslatable("author filters are not part of the FTS5 baseline")
    where: list[str] = []
    args: list[Any] = []
    if params.date_from:
        where.append(f"{col}published >= ?")
        args.append(params.date_from.isoformat())
    if params.date_to:
        where.append(f"{col}published <= ?")
        args.append(params.date_to.isoformat())
    if params.sources:
        where.append(f"{col}source_key IN ({', '.join('?' * len(params.sources))})")
        args += [source_key(s) for s in params.sources]
    return where, args


def fts5_search(conn: sqlite3.Connection, params: SearchParams) -> FtsPage:
    """One search: the top `page_size` with snippets, and the exact number of matches."""
    match, exclude = split_query(q.parse_query(params.q))
    where, args = _filters(params, after_match=match is not None)
    limit, offset = params.page_size, (params.page - 1) * params.page_size
    newest, oldest = "a.published DESC, a.id DESC", "a.published, a.id"
    if match is None:
        if exclude is not None:
            where.append("a.id NOT IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
            args.append(exclude)
        cond = f"WHERE {' AND '.join(where)}" if where else ""
        total = conn.execute(f"SELECT count(*) FROM articles a {cond}", args).fetchone()[0]
        rows = conn.execute(
            f"SELECT a.id, a.title, a.published, a.source, substr(a.body, 1, 240) "
            f"FROM articles a {cond} ORDER BY {oldest if params.sort == 'oldest' else newest} "
            "LIMIT ? OFFSET ?",
            [*args, limit, offset],
        ).fetchall()
        return FtsPage(total, [FtsHit(*r) for r in rows])

    cond = " AND ".join(["articles_fts MATCH ?", *where])
    if where:
        total = conn.execute(
            "SELECT count(*) FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
            f"WHERE {cond}",
            [match, *args],
        ).fetchone()[0]
    else:  # no join needed to count
        total = conn.execute(
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", [match]
        ).fetchone()[0]
    columns = (
        "a.id, a.title, a.published, a.source, "
        f"snippet(articles_fts, 1, '<mark>', '</mark>', '…', {SNIPPET_TOKENS})"
    )
    join = "FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
    if params.sort == "relevance":
        # Ordered by rank, FTS5 hands rows over best first and stops after LIMIT: snippet() runs
        # for the page only.
        rows = conn.execute(
            f"SELECT {columns} {join} WHERE {cond} ORDER BY articles_fts.rank LIMIT ? OFFSET ?",
            [match, *args, limit, offset],
        ).fetchall()
        return FtsPage(total, [FtsHit(*r) for r in rows])
    # Ordered by date, SQLite sorts every match and would compute snippet() for each of them
    # first (77 ms instead of 2 ms for `oil` at 19k articles): pick the page, then snippet it.
    order = newest if params.sort == "newest" else oldest
    ids = [
        r[0]
        for r in conn.execute(
            f"SELECT a.id {join} WHERE {cond} ORDER BY {order} LIMIT ? OFFSET ?",
            [match, *args, limit, offset],
        )
    ]
    if not ids:
        return FtsPage(total, [])
    hits = {
        r[0]: FtsHit(*r)
        for r in conn.execute(
            f"SELECT {columns} {join} WHERE articles_fts MATCH ? "
            f"AND articles_fts.rowid IN ({', '.join('?' * len(ids))})",
            [match, *ids],
        )
    }
    return FtsPage(total, [hits[i] for i in ids])


# -- the query mix -------------------------------------------------------------------------------


def run_fts5_searches(
    conn: sqlite3.Connection, mix: Sequence[BenchQuery], runs: int
) -> dict[str, Any]:
    """The mix as bench.reuters.run_searches runs it (one warm-up pass, then `runs` passes)."""
    per_query: list[dict[str, Any]] = []
    usable: list[tuple[BenchQuery, dict[str, Any]]] = []
    for query in mix:
        row: dict[str, Any] = {"kind": query.kind, "query": query.label}
        try:
            started = time.perf_counter()
            page = fts5_search(conn, query.params)
            ms = (time.perf_counter() - started) * 1000
        except (Untranslatable, sqlite3.Error) as exc:
            row["error"] = f"{exc.__class__.__name__}: {exc}"
        else:
            row.update(
                total_hits=page.total, shown=len(page.items), warmup_ms=round(ms, 2), samples_ms=[]
            )
            usable.append((query, row))
        per_query.append(row)
    for _ in range(runs):
        for query, row in usable:
            started = time.perf_counter()
            fts5_search(conn, query.params)
            row["samples_ms"].append(round((time.perf_counter() - started) * 1000, 3))
    all_samples: list[float] = []
    by_kind: dict[str, list[float]] = {}
    for _, row in usable:
        all_samples.extend(row["samples_ms"])
        by_kind.setdefault(row["kind"], []).extend(row["samples_ms"])
        row["p50_ms"] = round(percentile(row["samples_ms"], 50), 3)
    return {
        "runs": runs,
        "queries": len(mix),
        "errors": sum(1 for row in per_query if "error" in row),
        "overall": latency_stats(all_samples),
        "by_kind": {kind: latency_stats(s) for kind, s in by_kind.items()},
        "per_query": per_query,
    }


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 1) if b else None


def compare(archive: dict[str, Any], fts5: dict[str, Any]) -> dict[str, Any]:
    """archive / FTS5 latency per kind and overall, and the queries whose totals differ."""
    kinds: dict[str, Any] = {}
    for kind, stats in archive["by_kind"].items():
        other = fts5["by_kind"].get(kind)
        if other:
            kinds[kind] = {p: _ratio(stats[p], other[p]) for p in ("p50_ms", "p95_ms", "p99_ms")}
    overall = {
        p: _ratio(archive["overall"][p], fts5["overall"][p]) for p in ("p50_ms", "p95_ms", "p99_ms")
    }
    differ = [
        {"query": a["query"], "archive": a.get("total_hits"), "fts5": f.get("total_hits")}
        for a, f in zip(archive["per_query"], fts5["per_query"], strict=True)
        if a.get("total_hits") != f.get("total_hits")
    ]
    return {"by_kind": kinds, "overall": overall, "totals_differ": differ}


def baseline(
    articles: Sequence[FtsArticle], mix: Sequence[BenchQuery], runs: int, path: Path
) -> dict[str, Any]:
    """Build the FTS5 database at `path`, then time the mix on it."""
    built = build_fts5(path, articles)
    conn = connect(path)
    try:
        searched = run_fts5_searches(conn, mix, runs)
    finally:
        conn.close()
    return {"sqlite": sqlite3.sqlite_version, "import": built, "search": searched}


def print_comparison(archive: dict[str, Any], fts5: dict[str, Any]) -> None:
    ratios = compare(archive, fts5)
    print(f"  {'kind':<10} {'archive p50':>12} {'FTS5 p50':>9} {'ratio':>6}   ", end="")
    print(f"{'archive p95':>11} {'FTS5 p95':>9} {'ratio':>6}")
    rows = [*archive["by_kind"].items(), ("ALL", archive["overall"])]
    for kind, a in rows:
        f = fts5["overall"] if kind == "ALL" else fts5["by_kind"].get(kind)
        if not f:
            continue
        r = ratios["overall"] if kind == "ALL" else ratios["by_kind"][kind]
        print(
            f"  {kind:<10} {a['p50_ms']:>12.1f} {f['p50_ms']:>9.2f} {r['p50_ms'] or 0:>6.1f}   "
            f"{a['p95_ms']:>11.1f} {f['p95_ms']:>9.2f} {r['p95_ms'] or 0:>6.1f}"
        )
    for d in ratios["totals_differ"]:
        print(f"  totals differ: {d['query']}: archive {d['archive']}, FTS5 {d['fts5']}")


# -- command line --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fts5", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--data", type=Path, required=True, help="archive data folder")
    parser.add_argument("--runs", type=int, default=5, help="timed passes of the mix")
    parser.add_argument("--mix", choices=("reuters", "synthetic"), default="reuters")
    parser.add_argument("--out", type=Path, default=None, help="JSON results file")
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also run the mix on the archive in DIR (in process) and print archive / FTS5",
    )
    args = parser.parse_args(argv)
    database = args.data / "archive.db"
    if not database.is_file():
        print(f"skipped: {database} not found")
        return 0
    mix = query_mix(args.mix)
    articles = read_archive_articles(database)
    with tempfile.TemporaryDirectory(prefix="fts5-bench-") as tmp:
        result = baseline(articles, mix, args.runs, Path(tmp) / "fts5.db")
    result["raw_text_bytes"] = raw_text_bytes(articles)
    imp, search = result["import"], result["search"]
    print(
        f"FTS5 (SQLite {result['sqlite']}): {imp['articles']:,} articles in {imp['seconds']:.2f} s "
        f"({imp['articles_per_s']}/s), {imp['size']['bytes'] / 2**20:.1f} MB for "
        f"{result['raw_text_bytes'] / 2**20:.1f} MB of text"
    )
    for kind, s in [*search["by_kind"].items(), ("ALL", search["overall"])]:
        print(
            f"  {kind:<10} p50 {s['p50_ms']:>7.2f}  p95 {s['p95_ms']:>7.2f}  "
            f"p99 {s['p99_ms']:>7.2f}"
        )
    for row in search["per_query"]:
        if "error" in row:
            print(f"  {row['query']}: {row['error']}", file=sys.stderr)
    if args.compare:
        from app.archive import open_archive
        from app.config import Settings
        from bench.reuters import run_searches

        archive = open_archive(Settings(data_dir=args.data, search_cache_size=0))
        try:
            result["archive_search"] = run_searches(archive, mix, args.runs)
        finally:
            archive.close()
        print("\narchive (in process) / FTS5, pooled over runs, ms")
        print_comparison(result["archive_search"], search)
    if args.out:
        write_json(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
