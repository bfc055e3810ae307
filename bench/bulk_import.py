"""Bulk import throughput through `newsarchive import`'s own path (readers + batched writes +
index), on a SYNTHETIC corpus (bench/synthetic.py) written as JSON Lines and CSV files.

    .venv/bin/python -m bench.bulk_import [--count 50000] [--batch-size 200]

Writes COUNT articles into a temporary folder (half JSON Lines, half gzipped CSV, 5,000 per
file, each with an unknown `desk` field kept as extra metadata), imports them into a fresh
archive timing it end to end, then imports the same folder again (must add nothing), and
prints articles/s for both runs. Nothing is written to the repository.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

from app.archive import open_archive
from app.config import Settings
from app.migrate import upgrade
from app.services.importer import ImportOptions, expand_paths, import_files
from bench.reuters import max_rss_mb
from bench.synthetic import generate

PER_FILE = 5_000
FIELDS = ["title", "body", "date", "source", "authors", "url", "desk"]


def write_corpus(folder: Path, count: int) -> None:
    batch: list[dict[str, str]] = []
    number = 0

    def flush() -> None:
        nonlocal number
        if not batch:
            return
        if number % 2 == 0:
            with (folder / f"part{number:04d}.jsonl").open("w", encoding="utf-8") as f:
                f.writelines(json.dumps(row) + "\n" for row in batch)
        else:
            with gzip.open(folder / f"part{number:04d}.csv.gz", "wt", encoding="utf-8") as g:
                writer = csv.DictWriter(g, fieldnames=FIELDS)
                writer.writeheader()
                writer.writerows(batch)
        number += 1
        batch.clear()

    for i, item in enumerate(generate(count)):
        batch.append(
            {
                "title": item.title or "",
                "body": item.body,
                "date": item.published.isoformat(),
                "source": item.source or "",
                "authors": "; ".join(item.authors),
                "url": f"https://synthetic.example/{i}",
                "desk": ["World", "Business", "Sport"][i % 3],
            }
        )
        if len(batch) >= PER_FILE:
            flush()
    flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--batch-size", type=int, default=200)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="newsarchive-bulk-") as tmp:
        source = Path(tmp) / "in"
        source.mkdir()
        started = time.perf_counter()
        try:
            write_corpus(source, args.count)
        except FileNotFoundError as exc:
            print(f"skipped: {exc}")
            return 0
        print(f"wrote {args.count:,} articles in {time.perf_counter() - started:.1f} s")
        settings = Settings(data_dir=Path(tmp) / "data")  # type: ignore[call-arg]
        settings.data_dir.mkdir()
        upgrade(settings.resolved_database_url())
        archive = open_archive(settings)
        try:
            files, _ = expand_paths([str(source)])
            for label in ("first run", "re-run"):
                started = time.perf_counter()
                summary = import_files(
                    archive, files=files, options=ImportOptions(batch_size=args.batch_size)
                )
                elapsed = time.perf_counter() - started
                print(
                    f"{label}: {summary.line()} in {elapsed:.1f} s "
                    f"({args.count / elapsed:,.0f} articles/s)"
                )
        finally:
            archive.close()
        print(f"peak RSS {max_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
