"""What folding by story costs a results page: the search page and the search API, with and
without one result per story, on the same synthetic archive (bench.pages' articles, plus copies).

    .venv/bin/python -m bench.story_fold [--articles 100000] [--copies 0.3] [--data DIR] [--runs 40]

The archive: bench.pages' synthetic articles, except that a share (`--copies`) of them are light
edits of an earlier one (a few words changed, another source and day), so stories of 2-6 copies
exist as syndication makes them. Articles go in through `add_articles` (story ids assigned at
import). A built archive (--data) is reused. Then, for the same query mix as bench.pages, each URL
is requested with the fold off and on, alternately (so both see the same caches and load), and
the app's own Server-Timing is recorded. Prints medians and p95s and writes JSON (--out).
Labelled synthetic: the text is made up (bench.pages), nothing outside is stored.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from app.archive import open_archive
from app.config import Settings
from app.ingest.record import ArticleIn
from app.main import create_app
from app.migrate import upgrade
from app.services.articles import add_articles
from app.services.counts import count_articles
from bench.pages import BATCH, Corpus, _server_ms, percentile
from bench.reuters import write_json

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "story_fold.json"


def edited(item: ArticleIn, rng: random.Random, vocab: list[str], source: str) -> ArticleIn:
    """A syndicated copy: 1 word in 40 replaced, another source, published 0-40 days later."""
    words = item.body.split(" ")
    for _ in range(max(1, len(words) // 40)):
        words[rng.randrange(len(words))] = rng.choice(vocab)
    published = item.published + dt.timedelta(days=rng.randrange(41))
    return dataclasses.replace(item, body=" ".join(words), source=source, published=published)


def articles(n: int, copies: float) -> list[ArticleIn]:
    corpus = Corpus()
    rng = random.Random(11)
    out: list[ArticleIn] = []
    for i in range(n):
        if out and rng.random() < copies:
            original = out[rng.randrange(max(0, len(out) - 2000), len(out))]
            out.append(edited(original, rng, corpus.vocab, rng.choice(corpus.sources)))
        else:
            out.append(corpus.article(i))
    return out


def build(data: Path, n: int, copies: float) -> float:
    data.mkdir(parents=True, exist_ok=True)
    upgrade(f"sqlite:///{data / 'archive.db'}")
    archive = open_archive(Settings(data_dir=data))
    started = time.perf_counter()
    try:
        have = count_articles(archive)
        if have < n:
            items = articles(n, copies)
            for start in range(have, n, BATCH):
                add_articles(archive, items=items[start : start + BATCH])
                done = min(start + BATCH, n)
                rate = (done - have) / (time.perf_counter() - started)
                print(f"  built {done:,}/{n:,} ({rate:,.0f} articles/s)", file=sys.stderr)
    finally:
        archive.close()
    return time.perf_counter() - started


def queries(runs: int) -> list[str]:
    corpus = Corpus()
    rng = random.Random(7)
    common, mid = corpus.vocab[:50], corpus.vocab[200:2000]
    makers = [
        lambda: rng.choice(mid),
        lambda: f"{rng.choice(common)} {rng.choice(mid)}",
        lambda: f'"{rng.choice(common)} {rng.choice(common)}"',
        lambda: f"{rng.choice(mid)} OR {rng.choice(mid)}",
        lambda: "",  # no query: every article, newest first
    ]
    return [makers[i % len(makers)]() for i in range(runs)]


def measure(data: Path, runs: int) -> dict[str, dict[str, float]]:
    pairs = {
        "search page": ("/search?q={q}&story=0", "/search?q={q}&story=1"),
        "search API": ("/api/v1/search?q={q}", "/api/v1/search?q={q}&collapse=story"),
        "search API, 2nd page": (
            "/api/v1/search?q={q}&page=2",
            "/api/v1/search?q={q}&page=2&collapse=story",
        ),
    }
    timings: dict[str, list[float]] = {}
    with TestClient(create_app(Settings(data_dir=data, rate_limit_pages=0))) as client:
        client.get("/search?q=warm")
        for name, (off, on) in pairs.items():
            for q in queries(runs):
                for label, url in (("off", off), ("on", on)):
                    r = client.get(url.format(q=q))
                    if r.status_code != 200:
                        raise RuntimeError(f"{url}: {r.status_code}")
                    timings.setdefault(f"{name} ({label})", []).append(_server_ms(r))
    return {
        name: {
            "n": len(ms),
            "server_median_ms": round(statistics.median(ms), 1),
            "server_p95_ms": round(percentile(ms, 0.95), 1),
        }
        for name, ms in timings.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--copies", type=float, default=0.3)
    parser.add_argument("--data", type=Path, help="archive folder to build or reuse")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-fold-") as tmp:
        data = args.data or Path(tmp) / "data"
        build_s = build(data, args.articles, args.copies)
        archive = open_archive(Settings(data_dir=data))
        try:
            with archive.read_sessions() as session:
                from sqlalchemy import func, select

                from app.models import Article

                stories = session.scalar(
                    select(func.count(func.distinct(func.coalesce(Article.story_id, Article.id))))
                )
        finally:
            archive.close()
        print(f"archive: {args.articles:,} articles, {stories:,} stories (build {build_s:.0f} s)")
        results = measure(data, args.runs)
    print(f"{'page':<36}{'median ms':>10}{'p95 ms':>10}")
    for name, r in results.items():
        print(f"{name:<36}{r['server_median_ms']:>10}{r['server_p95_ms']:>10}")
    report = {
        "articles": args.articles,
        "stories": stories,
        "copies": args.copies,
        "build_seconds": round(build_s, 1),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "pages": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.out, report)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
