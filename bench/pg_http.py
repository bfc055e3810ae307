"""The synthetic mix (bench.scale) through the search API of a live server on a PostgreSQL
archive: `newsarchive serve` on 127.0.0.1 (bench.http_load.serve), one request at a time, a
warm-up pass then --runs passes, 10 results with snippets and exact totals.

    .venv/bin/python -m bench.pg_http --url postgresql+psycopg://... [--runs 3] [--out FILE]

The database is one a `bench.scale` run left behind (its rows stay in the bench database).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench.http_load import sequential_mix, serve
from bench.reuters import write_json
from bench.scale import QUERY_MIX


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the PostgreSQL database of a bench run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="pg-http-") as tmp,
        serve(
            Path(tmp),
            log=Path(tmp) / "server.log",
            database_url=args.url,
            search_backend="postgres",
        ) as server,
    ):
        result = sequential_mix(server.base, QUERY_MIX, args.runs)
    overall = result["overall"]
    print(f"{'kind':<10}{'p50 ms':>9}{'p95 ms':>9}")
    for kind, stats in result["by_kind"].items():
        print(f"{kind:<10}{stats['p50_ms']:>9}{stats['p95_ms']:>9}")
    print(f"{'all':<10}{overall['p50_ms']:>9}{overall['p95_ms']:>9}  errors {result['errors']}")
    if args.out:
        write_json(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
