"""What analysis per language costs a search and an import (Whoosh), on Reuters stories.

    .venv/bin/python -m bench.language_queries                  # 6,000 stories, 3 runs
    .venv/bin/python -m bench.language_queries --size 21578 --runs 5

Three archives of the same stories, built in the same run:

- `english`: every story tagged `en` (the index has one language family: queries are what they
  always were);
- `mixed`: the stories tagged round-robin en, de, fr, es, it, nl, pt, ru, ja: SYNTHETIC (English
  text under other tags), so every family's fields hold a ninth of the archive and every query
  word is analysed for nine families, the cost an archive in nine languages pays;
- the mixed archive searched with `lang=en` (the query analysed for English only).

For each: import articles/s, and the bench.reuters query mix (page_size 10, snippets, exact
totals; a warm-up pass, then `--runs` passes): the median over runs of each run's p50 and p95.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from app.archive import Archive, open_archive
from app.config import Settings
from app.ingest.record import ArticleIn
from app.migrate import upgrade
from app.services.articles import add_articles
from bench.reuters import QUERY_MIX, BenchQuery, percentile, run_searches

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "reuters21578"
MIXED = ("en", "de", "fr", "es", "it", "nl", "pt", "ru", "ja")
BATCH = 500


def stories(path: Path, size: int) -> Iterator[dict[str, str]]:
    with path.open() as f:
        for line in f:
            story = json.loads(line)
            if story.get("body") and story.get("date") and story.get("title"):
                yield story
                size -= 1
                if size <= 0:
                    return


def build(work: Path, name: str, data: list[dict[str, str]], langs: Sequence[str]) -> Archive:
    folder = work / name
    folder.mkdir()
    upgrade(f"sqlite:///{folder / 'archive.db'}")
    archive = open_archive(Settings(data_dir=folder, search_cache_size=0))
    items = [
        ArticleIn(
            body=s["body"],
            title=s["title"],
            published=dt.date.fromisoformat(s["date"][:10]),
            source="Reuters",
            language=langs[i % len(langs)],
        )
        for i, s in enumerate(data)
    ]
    started = time.perf_counter()
    for at in range(0, len(items), BATCH):
        add_articles(archive, items=items[at : at + BATCH])
    seconds = time.perf_counter() - started
    print(f"{name}: {len(items)} articles in {seconds:.1f} s, {len(items) / seconds:.0f}/s")
    return archive


def timed(archive: Archive, mix: Sequence[BenchQuery], runs: int) -> dict[str, float]:
    result = run_searches(archive, mix, runs)
    rows = [r for r in result["per_query"] if "samples_ms" in r]
    per_run = [[r["samples_ms"][i] for r in rows] for i in range(runs)]
    return {
        "p50_ms": statistics.median(percentile(run, 50) for run in per_run),
        "p95_ms": statistics.median(percentile(run, 95) for run in per_run),
        "hits": sum(r["total_hits"] for r in rows),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=6000, help="Reuters stories")
    parser.add_argument("--runs", type=int, default=3, help="timed passes of the mix")
    parser.add_argument("--corpus", type=Path, default=CORPUS / "reuters21578.derived.jsonl")
    args = parser.parse_args(argv)
    if not args.corpus.exists():
        print(f"skipped: {args.corpus} not found")
        return 0
    data = list(stories(args.corpus, args.size))
    english_only = [
        dataclasses.replace(q, params=dataclasses.replace(q.params, languages=("en",)))
        for q in QUERY_MIX
    ]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        english = build(work, "english", data, ("en",))
        mixed = build(work, "mixed (SYNTHETIC tags)", data, MIXED)
        try:
            rows = [
                ("english", timed(english, QUERY_MIX, args.runs)),
                ("mixed, 9 families", timed(mixed, QUERY_MIX, args.runs)),
                ("mixed, lang=en", timed(mixed, english_only, args.runs)),
            ]
        finally:
            english.close()
            mixed.close()
    print(f"{len(QUERY_MIX)} queries x {args.runs} runs, {len(data)} stories")
    for name, row in rows:
        p50, p95, hits = row["p50_ms"], row["p95_ms"], row["hits"]
        print(f"{name:20} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  hits {hits}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
