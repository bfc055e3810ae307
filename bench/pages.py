"""Benchmark page rendering at archive scale: server time of the HTML pages over 20k articles.

    .venv/bin/python -m bench.pages [--articles 20000] [--data DIR] [--runs 60] [--out FILE]
    .venv/bin/python -m bench.pages --mix reuters --data DIR [--passes 3]   # real text

With --mix reuters, DIR is the data folder of `python -m bench.reuters --keep` (19,427 Reuters
stories) and only the search page is timed, once per query of its committed 45-query mix per
pass. Otherwise:

1. Builds (or reuses, with --data pointing at a built one) an archive of synthetic articles: words
   are made up here from syllables with a fixed seed and drawn with a Zipf-like frequency, so the
   index has a realistic mix of common and rare terms; 14 sources, 300 authors, dates 2014-2024,
   120-900 words each. Articles go in through the service layer (`add_articles`) in batches.
2. Starts the real app (create_app + lifespan) under Starlette's TestClient, in process.
3. For each page type (home, search, article, browse year/month/day, source, author) requests
   `--runs` different URLs after a warm-up, and records the app's own Server-Timing duration
   (request in to response start, which for our pages includes rendering the whole body) and the
   client-side wall time. Prints median and p95 per page and writes JSON (--out).

Nothing here stores any outside text (the Reuters mode reads the archive bench.reuters built).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.archive import open_archive
from app.config import Settings
from app.ingest.record import ArticleIn
from app.main import create_app
from app.migrate import upgrade
from app.services.articles import add_articles
from app.services.counts import count_articles
from bench.reuters import write_json

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "pages.json"
BATCH = 1000
SEED = 20_000
_SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]


def make_vocabulary(rng: random.Random, size: int = 12_000) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        n = rng.choice((1, 2, 2, 2, 3, 3, 4))
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(n)))
    return sorted(words)


class Corpus:
    """Deterministic synthetic articles."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.vocab = make_vocabulary(self.rng)
        # Zipf-like weights: word k is about 1/k as frequent as the most common one
        self.cum_weights = list(itertools.accumulate(1.0 / (k + 1) for k in range(len(self.vocab))))
        self.rng.shuffle(self.vocab)
        self.sources = [
            f"The {w.title()} {s}"
            for w, s in zip(
                self.vocab[500:514],
                ["Times", "Post", "Herald", "Courier", "Gazette", "Observer", "Tribune"] * 2,
                strict=True,
            )
        ]
        self.authors = [
            f"{self.vocab[1000 + i].title()} {self.vocab[2000 + i].title()}" for i in range(300)
        ]

    def sentence(self) -> str:
        words = self.rng.choices(
            self.vocab, cum_weights=self.cum_weights, k=self.rng.randint(6, 22)
        )
        return " ".join(words).capitalize() + "."

    def article(self, i: int) -> ArticleIn:
        rng = self.rng
        n_words = rng.randint(120, 900)
        paragraphs, count = [], 0
        while count < n_words:
            p = " ".join(self.sentence() for _ in range(rng.randint(2, 5)))
            paragraphs.append(p)
            count += len(p.split())
        title = " ".join(rng.choices(self.vocab[:3000], k=rng.randint(4, 10))).capitalize()
        return ArticleIn(
            body="\n\n".join(paragraphs),
            published=dt.date(2014, 1, 1) + dt.timedelta(days=rng.randrange(11 * 365)),
            title=f"{title} ({i})",
            source=rng.choice(self.sources),
            authors=rng.sample(self.authors, rng.choice((1, 1, 1, 2))),
        )


def build(data: Path, n: int) -> float:
    """Migrate and fill an archive with `n` synthetic articles; returns seconds taken."""
    data.mkdir(parents=True, exist_ok=True)
    upgrade(f"sqlite:///{data / 'archive.db'}")
    archive = open_archive(Settings(data_dir=data))
    started = time.perf_counter()
    try:
        have = count_articles(archive)
        corpus = Corpus()
        items = [corpus.article(i) for i in range(n)]
        for start in range(have, n, BATCH):
            add_articles(archive, items=items[start : start + BATCH])
            done = min(start + BATCH, n)
            rate = (done - have) / (time.perf_counter() - started)
            print(f"  built {done:,}/{n:,} ({rate:,.0f} articles/s)", file=sys.stderr)
    finally:
        archive.close()
    return time.perf_counter() - started


def _server_ms(response: Any) -> float:
    m = re.search(r"dur=([\d.]+)", response.headers.get("server-timing", ""))
    if not m:
        raise RuntimeError(f"no Server-Timing on {response.url}")
    return float(m[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def url_sets(client: TestClient, corpus: Corpus, runs: int) -> dict[str, list[str]]:
    rng = random.Random(7)
    listing = client.get("/api/v1/articles", params={"page_size": 200, "sort": "oldest"}).json()
    total = listing["total"]
    ids = [rng.randrange(1, total + 1) for _ in range(runs)]
    words_common = corpus.vocab[:50]
    words_mid = corpus.vocab[200:2000]
    # Four kinds of query, mixed in "search" and timed alone below it: a word (in ~0.5-20% of
    # the articles), a common word AND such a word, a phrase of two of the 50 commonest words
    # (each in most articles: the worst case), and either of two words.
    kinds = {
        "word": lambda: rng.choice(words_mid),
        "common+word": lambda: f"{rng.choice(words_common)} {rng.choice(words_mid)}",
        '"common common"': lambda: f'"{rng.choice(words_common)} {rng.choice(words_common)}"',
        "word OR word": lambda: f"{rng.choice(words_mid)} OR {rng.choice(words_mid)}",
    }
    makers = list(kinds.values())
    queries = [makers[i % 4]() for i in range(runs)]
    alone = {
        f"  search {name}": [f"/search?q={make()}" for _ in range(runs)]
        for name, make in kinds.items()
    }
    days = [dt.date(2014, 1, 1) + dt.timedelta(days=rng.randrange(11 * 365)) for _ in range(runs)]
    return {
        "home": ["/"] * runs,
        "search": [f"/search?q={q}" for q in queries],
        "search+filter": [
            f"/search?q={q}&source={rng.choice(corpus.sources)}&from=2018" for q in queries
        ],
        **alone,
        "article": [f"/articles/{i}" for i in ids],
        "article+highlight": [f"/articles/{i}?q={rng.choice(words_common)}" for i in ids],
        # reached from a search: back, previous and next result (two one-result lookups)
        "article from search": [
            f"/articles/{i}?q={rng.choice(words_common)}&n={1 + k % 40}" for k, i in enumerate(ids)
        ],
        "browse year": [f"/browse/{2014 + i % 11}" for i in range(runs)],
        "browse month": [f"/browse/{2014 + i % 11}/{1 + i % 12}" for i in range(runs)],
        "browse day": [f"/browse/{d.year}/{d.month}/{d.day}" for d in days],
        "source": [f"/sources/{rng.choice(corpus.sources)}" for _ in range(runs)],
        "author": [f"/authors/{rng.choice(corpus.authors)}" for _ in range(runs)],
    }


def _stats(server: list[float]) -> dict[str, float]:
    return {
        "n": len(server),
        "server_median_ms": round(statistics.median(server), 1),
        "server_p95_ms": round(percentile(server, 0.95), 1),
        "server_max_ms": round(max(server), 1),
    }


def measure_reuters(data: Path, passes: int) -> dict[str, dict[str, float]]:
    """The search page for each query of the committed Reuters mix (bench/reuters.py), on an
    archive `python -m bench.reuters --keep` built: real text and real queries. Each pass is a
    fresh app, so every query is computed, not answered by the search cache; the cache stays
    on, as served, so the page's facets reuse its search's match set."""
    from bench.http_load import search_query
    from bench.reuters import QUERY_MIX

    by_kind: dict[str, list[float]] = {}
    every: list[float] = []
    for _ in range(passes):
        # the page rate limit off: this measures the pages, one visitor asking many times
        with TestClient(create_app(Settings(data_dir=data, rate_limit_pages=0))) as client:
            for url in ("/", "/search?q=warm", "/search?q=up+OR+start"):
                client.get(url)
            for query in QUERY_MIX:
                r = client.get("/search", params=search_query(query))
                if r.status_code != 200:
                    raise RuntimeError(f"{query.label}: {r.status_code}")
                ms = _server_ms(r)
                every.append(ms)
                by_kind.setdefault(query.kind, []).append(ms)
    results = {"search (Reuters mix)": _stats(every)}
    results |= {f"  search {kind}": _stats(ms) for kind, ms in by_kind.items()}
    return results


def measure(data: Path, runs: int) -> dict[str, dict[str, float]]:
    corpus = Corpus()
    results: dict[str, dict[str, float]] = {}
    # The app as served (its search cache on: a results page reuses one walk over the matches
    # for its count, facets and timeline); warm-up URLs are not among the timed ones, so no
    # timed request is answered from an earlier one.
    with TestClient(create_app(Settings(data_dir=data))) as client:
        for name, urls in url_sets(client, corpus, runs + 3).items():
            for url in urls[:3]:  # warm-up: caches, first template compile
                client.get(url)
            server, wall = [], []
            for url in urls[3:]:
                t0 = time.perf_counter()
                r = client.get(url)  # article URLs redirect once to the canonical slug
                wall.append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200:
                    raise RuntimeError(f"{url}: {r.status_code}")
                server.append(_server_ms(r))
            results[name] = {**_stats(server), "wall_median_ms": round(statistics.median(wall), 1)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--data", type=Path, help="archive folder to build or reuse")
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--mix",
        choices=("synthetic", "reuters"),
        default="synthetic",
        help="reuters: search pages for the Reuters query mix on --data from bench.reuters --keep",
    )
    parser.add_argument("--passes", type=int, default=3, help="with --mix reuters")
    args = parser.parse_args()
    if args.mix == "reuters":
        if not args.data:
            parser.error("--mix reuters needs --data: the data folder `bench.reuters --keep` kept")
        print(f"archive: {args.data} (Reuters, as bench.reuters left it)")
        build_s, results = 0.0, measure_reuters(args.data, args.passes)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
            data = args.data or Path(tmp) / "data"
            build_s = build(data, args.articles)
            print(f"archive: {args.articles:,} articles at {data} (build {build_s:.0f} s)")
            results = measure(data, args.runs)
    print(f"{'page':<28}{'median ms':>10}{'p95 ms':>10}{'max ms':>10}{'wall med':>10}")
    for name, r in results.items():
        print(
            f"{name:<28}{r['server_median_ms']:>10}{r['server_p95_ms']:>10}"
            f"{r['server_max_ms']:>10}{r.get('wall_median_ms', ''):>10}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "mix": args.mix,
        "articles": args.articles if args.mix == "synthetic" else None,
        "build_seconds": round(build_s, 1),
        "runs": args.runs,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "pages": results,
    }
    write_json(args.out, report)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
