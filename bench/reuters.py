"""Benchmark the archive on the Reuters-21578 corpus: bulk import, then in-process search latency.

    .venv/bin/python -m bench.reuters [--limit N] [--out bench/results/reuters.json]

Steps:

1. Every story of `reuters21578.derived.jsonl` becomes one dated-text file in a temporary folder
   (`date`, `title`, `source Reuters`, `author` header lines, a blank line, the body as given).
   Stories without a body or with an unparseable date are written too, so the importer's error
   path is exercised; they are counted and checked against what the importer refused.
2. A fresh archive (migrated SQLite database plus Whoosh index) in a temporary data folder;
   `import_files` is timed end to end (read, parse, database, index) with the default batch size.
3. A fixed query mix (`QUERY_MIX`) through `search_articles` with page_size 10, snippets included:
   one warm-up pass, then `--runs` timed passes; percentiles overall and per kind of query.
4. A table on standard output and the figures as JSON (`--out`).

The corpus is research-only (see SOURCE.txt next to it): it is read from the shared folder and
converted into a temporary folder that is deleted afterwards; nothing of it enters the repository.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from app.archive import Archive, open_archive
from app.config import Settings
from app.migrate import upgrade
from app.services.facets import FACETS, search_summary
from app.services.importer import ImportHooks, ImportSummary, import_files
from app.services.searching import SearchParams, search_articles

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = (
    REPO_ROOT.parent / "shared" / "corpora" / "reuters21578" / "reuters21578.derived.jsonl"
)
DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "reuters.json"
PAGE_SIZE = 10
DEFAULT_RUNS = 5
SOURCE = "Reuters"

_BYLINE_PREFIX = re.compile(r"^\s*by\s+", re.IGNORECASE)
_BYLINE_SUFFIX = re.compile(r"\s*,\s*reuters?\s*$", re.IGNORECASE)


# -- the query mix -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchQuery:
    kind: str
    params: SearchParams

    @property
    def label(self) -> str:
        p = self.params
        parts = [p.q if p.q is not None else "(no query)"]
        if p.date_from or p.date_to:
            parts.append(f"[{p.date_from or ''}..{p.date_to or ''}]")
        if p.sources:
            parts.append("source=" + "|".join(p.sources))
        if p.sort != "relevance":
            parts.append(f"sort={p.sort}")
        return " ".join(parts)


def _q(kind: str, q: str | None, **kwargs: Any) -> BenchQuery:
    return BenchQuery(kind, SearchParams(q=q, page_size=PAGE_SIZE, **kwargs))


_D = dt.date
QUERY_MIX: tuple[BenchQuery, ...] = (
    # one word
    _q("word", "oil"),
    _q("word", "coffee"),
    _q("word", "gold"),
    _q("word", "wheat"),
    _q("word", "dollar"),
    _q("word", "opec"),
    _q("word", "earnings"),
    _q("word", "tokyo"),
    # two words (both required)
    _q("two_words", "crude oil"),
    _q("two_words", "bank rate"),
    _q("two_words", "sugar exports"),
    _q("two_words", "japan semiconductors"),
    _q("two_words", "merger talks"),
    # phrases
    _q("phrase", '"interest rates"'),
    _q("phrase", '"trade deficit"'),
    _q("phrase", '"federal reserve"'),
    _q("phrase", '"net loss"'),
    _q("phrase", '"stock split"'),
    # prefixes
    _q("prefix", "export*"),
    _q("prefix", "bank*"),
    _q("prefix", "acqui*"),
    _q("prefix", "petro*"),
    _q("prefix", "ship*"),
    # OR / NOT / grouping
    _q("boolean", "coffee OR cocoa"),
    _q("boolean", "oil NOT opec"),
    _q("boolean", "wheat -corn"),
    _q("boolean", "(gold OR silver) prices"),
    _q("boolean", "yen OR mark OR franc"),
    # field terms
    _q("field", "title:oil"),
    _q("field", 'title:"trade deficit"'),
    _q("field", "title:acquisition"),
    _q("field", "title:opec"),
    _q("field", "author:gelb"),
    # date filtered (all 1987)
    _q("date", "oil", date_from=_D(1987, 3, 1), date_to=_D(1987, 3, 31)),
    _q("date", "coffee", date_from=_D(1987, 4, 1), date_to=_D(1987, 6, 30)),
    _q("date", '"interest rates"', date_to=_D(1987, 3, 15)),
    _q("date", "bank*", date_from=_D(1987, 10, 1)),
    _q("date", None, date_from=_D(1987, 3, 16), date_to=_D(1987, 3, 16)),
    # source filtered (every story is Reuters; the last one matches nothing)
    _q("source", "oil", sources=(SOURCE,)),
    _q("source", "grain", sources=(SOURCE,)),
    _q("source", "gold", sources=("Associated Press",)),
    # newest first
    _q("newest", "oil", sort="newest"),
    _q("newest", '"interest rates"', sort="newest"),
    _q("newest", "export*", sort="newest"),
    _q("newest", None, sort="newest"),
)


# -- step 1: corpus to dated-text files --------------------------------------------------------


@dataclass
class Conversion:
    stories: int = 0
    files: list[str] = field(default_factory=list)
    no_body: int = 0
    bad_date: int = 0
    no_title: int = 0
    multiline_title: int = 0
    bylines_normalised: int = 0
    expected_failures: set[str] = field(default_factory=set)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "stories": self.stories,
            "files_written": len(self.files),
            "empty_body": self.no_body,
            "unparseable_date": self.bad_date,
            "no_title": self.no_title,
            "multiline_title_joined": self.multiline_title,
            "bylines_normalised": self.bylines_normalised,
            "expected_failures": len(self.expected_failures),
            "seconds": round(self.seconds, 3),
        }


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _author(raw: str) -> str:
    """`By Jane Doe, Reuters` -> `Jane Doe` (the header splits authors on commas)."""
    return _BYLINE_SUFFIX.sub("", _BYLINE_PREFIX.sub("", _one_line(raw)))


def story_to_dated_text(story: dict[str, Any]) -> tuple[str, set[str]]:
    """One story in our input format, and notes on what was unusual about it."""
    notes: set[str] = set()
    header: list[str] = []
    if story.get("date"):
        header.append(f"date {story['date'][:10]}")
    else:
        # Keep the original (unparseable) value: the importer should refuse it and say why.
        notes.add("bad_date")
        if raw := _one_line(story.get("date_raw") or ""):
            header.append(f"date {raw}")
    title = story.get("title") or ""
    if title.strip():
        if "\n" in title.strip():
            notes.add("multiline_title")
        header.append(f"title {_one_line(title)}")
    else:
        notes.add("no_title")
    header.append(f"source {SOURCE}")
    if author := story.get("author"):
        name = _author(author)
        if name != _one_line(author):
            notes.add("byline_normalised")
        if name:
            header.append(f"author {name}")
    body = story.get("body") or ""
    if not body.strip():
        notes.add("no_body")
    return "\n".join(header) + "\n\n" + body.rstrip("\n") + "\n", notes


def iter_stories(corpus: Path, limit: int | None) -> Iterator[dict[str, Any]]:
    with corpus.open(encoding="utf-8") as lines:
        for n, line in enumerate(lines):
            if limit is not None and n >= limit:
                return
            if line.strip():
                yield json.loads(line)


def convert(corpus: Path, folder: Path, limit: int | None) -> Conversion:
    started = time.perf_counter()
    conv = Conversion()
    folder.mkdir(parents=True, exist_ok=True)
    for story in iter_stories(corpus, limit):
        conv.stories += 1
        text, notes = story_to_dated_text(story)
        path = folder / f"reut-{int(story['newid']):05d}.txt"
        path.write_text(text, encoding="utf-8")
        name = str(path)
        conv.files.append(name)
        conv.no_body += "no_body" in notes
        conv.bad_date += "bad_date" in notes
        conv.no_title += "no_title" in notes
        conv.multiline_title += "multiline_title" in notes
        conv.bylines_normalised += "byline_normalised" in notes
        if notes & {"no_body", "bad_date"}:
            conv.expected_failures.add(name)
    conv.seconds = time.perf_counter() - started
    return conv


# -- step 2: import ----------------------------------------------------------------------------


def max_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _failure_kind(message: str) -> str:
    """Group refusals by reason: drop quoted values and parenthesised detail."""
    kind = re.sub(r"'[^']*'|\"[^\"]*\"", "…", message)
    return re.sub(r"\s*\(.*$", "", kind).strip()


def run_import(archive: Archive, conv: Conversion, *, quiet: bool) -> dict[str, Any]:
    total = len(conv.files)
    done = 0
    checkpoints: list[tuple[int, float]] = []
    step = max(1000, total // 10)
    next_mark = step
    rss_before = max_rss_mb()
    started = time.perf_counter()

    def progress(n: int) -> None:
        nonlocal done, next_mark
        done += n
        if done >= next_mark or done == total:
            elapsed = time.perf_counter() - started
            checkpoints.append((done, elapsed))
            next_mark += step
            if not quiet:
                print(
                    f"  import {done:>6,}/{total:,}  {elapsed:7.1f} s  "
                    f"{done / elapsed:6.0f} files/s",
                    file=sys.stderr,
                    flush=True,
                )

    summary: ImportSummary = import_files(
        archive, files=conv.files, hooks=ImportHooks(on_file=progress)
    )
    seconds = time.perf_counter() - started

    failed = {name for name, _ in summary.failed}
    reasons = Counter(_failure_kind(message) for _, message in summary.failed)
    segments = []
    prev_done, prev_t = 0, 0.0
    for n, t in checkpoints:
        if n > prev_done and t > prev_t:
            segments.append(
                {
                    "files_done": n,
                    "seconds": round(t, 2),
                    "files_per_s": round((n - prev_done) / (t - prev_t), 1),
                }
            )
        prev_done, prev_t = n, t
    return {
        "files": summary.files,
        "added": summary.added,
        "duplicates": summary.duplicates,
        "failed": len(summary.failed),
        "failure_reasons": dict(reasons.most_common()),
        "unexpected_failures": sorted(
            (Path(n).name, m) for n, m in summary.failed if n not in conv.expected_failures
        )[:20],
        "unexpected_successes": sorted(Path(n).name for n in conv.expected_failures - failed)[:20],
        "seconds": round(seconds, 3),
        "files_per_s": round(summary.files / seconds, 1) if seconds else None,
        "articles_per_s": round(summary.added / seconds, 1) if seconds else None,
        "throughput_by_segment": segments,
        "peak_rss_mb_before_import": round(rss_before, 1),
        "peak_rss_mb_after_import": round(max_rss_mb(), 1),
    }


# -- step 3: search ----------------------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * pct / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def query_mix(name: str) -> Sequence[BenchQuery]:
    """A committed query mix: "reuters" (this module's, for Reuters-21578) or "synthetic"
    (bench.scale's, for the SYNTHETIC corpus)."""
    if name == "synthetic":
        from bench.scale import QUERY_MIX as synthetic

        return synthetic
    return QUERY_MIX


def write_json(path: Path, data: Any) -> None:
    """A results file (its folder made if needed); dates and paths written as strings."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")


def latency_stats(samples: Sequence[float]) -> dict[str, float | int]:
    return {
        "n": len(samples),
        "p50_ms": round(percentile(samples, 50), 2),
        "p95_ms": round(percentile(samples, 95), 2),
        "p99_ms": round(percentile(samples, 99), 2),
        "max_ms": round(max(samples), 2) if samples else float("nan"),
        "mean_ms": round(sum(samples) / len(samples), 2) if samples else float("nan"),
    }


def _timed_search(
    archive: Archive, query: BenchQuery, facets: bool = False
) -> tuple[float, int, int]:
    started = time.perf_counter()
    page = search_articles(archive, params=query.params)
    if facets:  # what a results page with facets and a timeline asks for
        search_summary(archive, params=query.params, facets=FACETS, interval="auto")
    elapsed_ms = (time.perf_counter() - started) * 1000
    return elapsed_ms, page.total, len(page.items)


def run_searches(
    archive: Archive, mix: Sequence[BenchQuery], runs: int, facets: bool = False
) -> dict[str, Any]:
    per_query: list[dict[str, Any]] = []
    usable: list[tuple[BenchQuery, dict[str, Any]]] = []
    for query in mix:  # warm-up pass: also records hit counts and errors
        row: dict[str, Any] = {"kind": query.kind, "query": query.label}
        try:
            ms, total, shown = _timed_search(archive, query, facets)
        except Exception as exc:  # a broken query is a finding, not a crash
            row["error"] = f"{exc.__class__.__name__}: {exc}"
        else:
            row.update(total_hits=total, shown=shown, warmup_ms=round(ms, 2), samples_ms=[])
            usable.append((query, row))
        per_query.append(row)

    for _ in range(runs):
        for query, row in usable:
            ms, _, _ = _timed_search(archive, query, facets)
            row["samples_ms"].append(round(ms, 3))

    all_samples: list[float] = []
    by_kind: dict[str, list[float]] = {}
    for _, row in usable:
        all_samples.extend(row["samples_ms"])
        by_kind.setdefault(row["kind"], []).extend(row["samples_ms"])
        row["p50_ms"] = round(percentile(row["samples_ms"], 50), 2)
    return {
        "page_size": PAGE_SIZE,
        "runs": runs,
        "with_facets_and_histogram": facets,
        "queries": len(mix),
        "errors": sum(1 for row in per_query if "error" in row),
        "overall": latency_stats(all_samples),
        "by_kind": {kind: latency_stats(s) for kind, s in by_kind.items()},
        "per_query": per_query,
    }


# -- sizes and machine -------------------------------------------------------------------------


def disk_usage(path: Path) -> dict[str, int]:
    """Apparent bytes and allocated bytes (what `du` reports) of a file or folder."""
    paths = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    stats = [p.stat() for p in paths if p.exists()]
    return {
        "files": len(stats),
        "bytes": sum(s.st_size for s in stats),
        "disk_bytes": sum(s.st_blocks * 512 for s in stats),
    }


def _package_version(*names: str) -> str | None:
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def machine_info() -> dict[str, Any]:
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    dirty = _git("status", "--porcelain", "--", "app", "migrations")
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": affinity,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "whoosh": _package_version("whoosh3", "whoosh-reloaded", "Whoosh"),
        "sqlalchemy": _package_version("SQLAlchemy"),
        "git_commit": _git("rev-parse", "HEAD"),
        "app_uncommitted_files": len(dirty.splitlines()) if dirty else 0,
    }


# -- report ------------------------------------------------------------------------------------


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def print_report(result: dict[str, Any]) -> None:
    conv, imp, search, sizes = (
        result["conversion"],
        result["import"],
        result["search"],
        result["sizes"],
    )
    m = result["machine"]
    print(f"\nReuters-21578 benchmark  {m['date']}  python {m['python']}  {m['cpu_count']} CPUs")
    print(f"corpus: {result['corpus']['path']}  ({conv['stories']:,} stories)")
    print(
        f"converted: {conv['files_written']:,} files in {conv['seconds']:.1f} s; "
        f"{conv['empty_body']:,} empty body, {conv['unparseable_date']} unparseable date, "
        f"{conv['no_title']:,} without title, {conv['multiline_title_joined']} titles joined, "
        f"{conv['bylines_normalised']} bylines normalised"
    )
    print("\nimport (import_files, default batch size)")
    print(f"  time            {imp['seconds']:.1f} s")
    print(f"  throughput      {imp['articles_per_s']} articles/s  ({imp['files_per_s']} files/s)")
    print(
        f"  outcome         {imp['added']:,} added, {imp['duplicates']:,} duplicates, "
        f"{imp['failed']:,} failed (expected {conv['expected_failures']:,})"
    )
    for reason, count in imp["failure_reasons"].items():
        print(f"    {count:>6,}  {reason}")
    if imp["unexpected_failures"] or imp["unexpected_successes"]:
        print(f"  UNEXPECTED failures: {imp['unexpected_failures']}")
        print(f"  UNEXPECTED successes: {imp['unexpected_successes']}")
    print(
        f"  peak RSS        {imp['peak_rss_mb_after_import']:.0f} MB "
        f"(before import {imp['peak_rss_mb_before_import']:.0f} MB)"
    )
    if imp["throughput_by_segment"]:
        rates = ", ".join(f"{s['files_per_s']:.0f}" for s in imp["throughput_by_segment"])
        print(f"  files/s by segment  {rates}")
    print(
        f"  on disk         index {_mb(sizes['index']['disk_bytes'])} "
        f"({sizes['index']['files']} files), database {_mb(sizes['database']['disk_bytes'])}"
    )

    print(
        f"\nsearch: {search['queries']} queries x {search['runs']} runs, page_size "
        f"{search['page_size']}, snippets on ({search['errors']} errors)"
    )
    header = f"  {'kind':<10} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    print(header)
    rows = [*search["by_kind"].items(), ("ALL", search["overall"])]
    for kind, s in rows:
        print(
            f"  {kind:<10} {s['n']:>4} {s['p50_ms']:>8.1f} {s['p95_ms']:>8.1f} "
            f"{s['p99_ms']:>8.1f} {s['max_ms']:>8.1f}"
        )
    print(f"\n  {'query':<48} {'hits':>6} {'p50 ms':>8}")
    for row in search["per_query"]:
        if "error" in row:
            print(f"  {row['query']:<48} ERROR {row['error']}")
        else:
            print(f"  {row['query'][:48]:<48} {row['total_hits']:>6,} {row['p50_ms']:>8.1f}")


# -- main --------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.reuters", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="derived JSONL file")
    parser.add_argument("--limit", type=int, default=None, help="only the first N stories")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="timed passes of the mix")
    parser.add_argument("--workdir", type=Path, default=None, help="parent of the temp folder")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temp folder (files and archive) afterwards"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument(
        "--facets",
        action="store_true",
        help="time each search with all four facets and an auto histogram too",
    )
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    log = (lambda msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr))
    machine = machine_info()  # at the start: the git state of the code that was imported
    log(f"converting {args.corpus} -> {work / 'files'}")
    conv = convert(args.corpus, work / "files", args.limit)

    data_dir = work / "data"
    settings = Settings(data_dir=data_dir, database_url=None, index_dir=None, search_cache_size=0)
    settings.ensure_dirs()
    upgrade(settings.resolved_database_url())
    archive = open_archive(settings)
    try:
        log(f"importing {len(conv.files):,} files into {data_dir}")
        imported = run_import(archive, conv, quiet=args.quiet)
        log(f"searching: {len(QUERY_MIX)} queries, 1 warm-up + {args.runs} runs")
        searched = run_searches(archive, QUERY_MIX, args.runs, args.facets)
        index_docs = archive.search.doc_count()
    finally:
        archive.close()  # the last connection closing checkpoints SQLite's WAL into the file

    database = Path(settings.resolved_database_url().removeprefix("sqlite:///"))
    return {
        "benchmark": "reuters21578",
        "machine": machine,
        "corpus": {
            "path": str(args.corpus),
            "bytes": args.corpus.stat().st_size,
            "limit": args.limit,
            "stories": conv.stories,
        },
        "conversion": conv.as_dict(),
        "import": imported,
        "index_doc_count": index_docs,
        "peak_rss_mb_end": round(max_rss_mb(), 1),
        "search": searched,
        "sizes": {
            "index": disk_usage(settings.resolved_index_dir()),
            "database": disk_usage(database),
            "database_wal_left": disk_usage(database.with_name(database.name + "-wal"))
            if database.with_name(database.name + "-wal").exists()
            else None,
            "data_dir": disk_usage(data_dir),
            "data_dir_path": str(data_dir) if args.keep else None,
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.corpus.is_file():
        print(f"skipped: {args.corpus} not found")
        return 0
    if args.keep:
        work = Path(tempfile.mkdtemp(prefix="reuters-bench-", dir=args.workdir))
        result = run(args, work)
        print(f"kept: {work}", file=sys.stderr)
    else:
        with tempfile.TemporaryDirectory(prefix="reuters-bench-", dir=args.workdir) as tmp:
            result = run(args, Path(tmp))
    print_report(result)
    write_json(args.out, result)
    print(f"\nresults: {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
