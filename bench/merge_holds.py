"""How long each index commit holds the Whoosh write lock, and what it merges (issue 17, C14).

Builds an index the way an import and API writes do: parallel batches (`--batch` articles each,
`--processes` index workers, as `newsarchive import` commits them), each followed by one
single-article commit (an API write). For every commit: seconds, segments before and after,
and the documents in segments that were merged away. `--profile` runs cProfile over the
single-article commits and prints its top functions. `--background-merge` runs
`WhooshBackend.merge_segments` in a thread meanwhile, as `serve`'s indexer does when idle, and
reports each background merge (it holds the write lock only to swap its segment in).

    .venv/bin/python -m bench.merge_holds --batches 20 --batch 1000 --processes 2
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from app.search.base import IndexDoc
from app.search.whoosh.backend import WhooshBackend
from bench.synthetic import generate


def docs(start: int, count: int) -> list[IndexDoc]:
    return [
        IndexDoc(
            id=start + i + 1,
            title=a.title or "",
            body=a.body,
            published=a.published,
            source=a.source,
            people=tuple(a.authors or ()),
            content_hash=str(start + i),
        )
        for i, a in enumerate(generate(count, start=start))
    ]


def segments(backend: WhooshBackend) -> dict[str, int]:
    """Segment id -> documents (deleted ones included) of the latest generation."""
    ix = backend._index()
    return {s.segment_id(): s.doc_count_all() for s in ix._segments()}


def timed(backend: WhooshBackend, batch: list[IndexDoc], profile: Any = None) -> dict[str, Any]:
    before = segments(backend)
    started = time.perf_counter()
    if profile is not None:
        profile.enable()
    backend.upsert(batch)
    if profile is not None:
        profile.disable()
    seconds = time.perf_counter() - started
    after = segments(backend)
    merged = {k: n for k, n in before.items() if k not in after}
    return {
        "seconds": seconds,
        "before": len(before),
        "after": len(after),
        "merged_segments": len(merged),
        "merged_docs": sum(merged.values()),
        "largest": max(after.values(), default=0),
    }


def line(kind: str, n: int, r: dict[str, Any]) -> str:
    return (
        f"{kind:>6} {n:>3}: {r['seconds']:7.2f} s  segments {r['before']:>3} -> {r['after']:>3}"
        f"  merged {r['merged_segments']:>3} segments / {r['merged_docs']:>6} docs"
        f"  largest {r['largest']:>6}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="cProfile the single writes")
    parser.add_argument("--background-merge", action="store_true")
    args = parser.parse_args()
    final: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        backend = WhooshBackend(Path(tmp) / "index", processes=args.processes)
        profile = cProfile.Profile() if args.profile else None
        stop = threading.Event()
        merges: list[tuple[float, int]] = []

        def merge_when_idle() -> None:
            while not stop.wait(1.0):
                started = time.perf_counter()
                merged = backend.merge_segments(stop)
                if merged:
                    merges.append((time.perf_counter() - started, merged))
                    print(f" merge: {merges[-1][0]:7.2f} s, {merged} segments", flush=True)

        merger = threading.Thread(target=merge_when_idle)
        if args.background_merge:
            merger.start()
        next_id = 0
        singles: list[float] = []
        batch_times: list[float] = []
        for n in range(args.batches):
            r = timed(backend, docs(next_id, args.batch))
            next_id += args.batch
            batch_times.append(r["seconds"])
            print(line("batch", n, r), flush=True)
            r = timed(backend, docs(next_id, 1), profile)
            next_id += 1
            singles.append(r["seconds"])
            print(line("single", n, r), flush=True)
        stop.set()
        if merger.is_alive():
            merger.join()
        final = segments(backend)
        backend.close()
    print(f"at the end: {len(final)} segments, largest {max(final.values())} documents")
    if merges:
        print(f"background merges: {len(merges)}, {sum(t for t, _ in merges):.1f} s in all")
    print(
        f"single writes: max {max(singles):.2f} s, total {sum(singles):.1f} s; "
        f"batches: max {max(batch_times):.2f} s, total {sum(batch_times):.1f} s"
    )
    if profile is not None:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":  # the index workers start from a fresh interpreter (forkserver)
    main()
