"""Facet counts, histograms and query comparisons as the API sends them: JSON objects, and the
comparison as a CSV table (one row per period)."""

from __future__ import annotations

import io
from typing import Any

from app.services.csv_cells import SafeWriter
from app.services.facets import Comparison, FacetValue, Histogram


def facets_json(facets: dict[str, list[FacetValue]]) -> dict[str, list[dict[str, Any]]]:
    return {
        name: [{"value": v.value, "count": v.count} for v in values]
        for name, values in facets.items()
    }


def histogram_json(histogram: Histogram) -> dict[str, Any]:
    return {
        "interval": histogram.interval,
        "buckets": [
            {"key": b.key, "start": b.start.isoformat(), "end": b.end.isoformat(), "count": b.count}
            for b in histogram.buckets
        ],
    }


def comparison_json(result: Comparison, unit: str = "articles") -> dict[str, Any]:
    """`unit` (articles or stories) names each period's total: what was counted."""
    return {
        "interval": result.interval,
        "count": unit,
        "periods": [
            {"key": b.key, "start": b.start, "end": b.end, unit: b.count} for b in result.buckets
        ],
        "series": [
            {"q": s.q, "total": s.total, "counts": s.counts, "shares": s.shares}
            for s in result.series
        ],
    }


def comparison_csv(result: Comparison, unit: str = "articles") -> str:
    """period, start, end, articles (or stories), then qN_count and qN_share for each query."""
    header = ["period", "start", "end", unit]
    for i in range(len(result.series)):
        header += [f"q{i + 1}_count", f"q{i + 1}_share"]
    rows: list[list[Any]] = [header]
    for j, b in enumerate(result.buckets):
        row: list[Any] = [b.key, b.start.isoformat(), b.end.isoformat(), b.count]
        for series in result.series:
            share = series.shares[j]
            row += [series.counts[j], "" if share is None else share]
        rows.append(row)
    out = io.StringIO()
    SafeWriter(out).writerows(rows)
    return out.getvalue()


def comparison_legend(result: Comparison) -> str:
    """Which query each column is (for a header: the caller encodes it with header_text)."""
    return "; ".join(f"q{i + 1} = {s.q}" for i, s in enumerate(result.series))
