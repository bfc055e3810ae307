"""JSON (one object, an array, or {"articles": [...]}) and JSON Lines / NDJSON readers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from app.ingest.fields import record_from_mapping
from app.ingest.record import InvalidArticle, Item


def _item(label: str, data: Any, origin: str) -> Item:
    try:
        return label, record_from_mapping(data, origin=origin, provenance={"file": origin}), None
    except InvalidArticle as exc:
        return label, None, str(exc)


def read_json(
    text: str, *, origin: str, on_fraction: Callable[[float], None] | None = None
) -> Iterator[Item]:
    """Every article in a JSON document; each bad element is its own error. `on_fraction`
    hears how far through the elements it is before each one is yielded."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        yield origin, None, f"not valid JSON: {exc}"
        return
    if isinstance(data, dict):
        for key in ("articles", "items", "data", "results"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
    if isinstance(data, dict):
        yield _item(origin, data, origin)
    elif isinstance(data, list):
        if not data:
            yield origin, None, "the JSON array is empty"
        for number, element in enumerate(data, start=1):
            if on_fraction:
                on_fraction(number / len(data))
            yield _item(f"{origin}[{number}]", element, origin)
    else:
        yield origin, None, "JSON holds neither an object nor an array of objects"


def read_json_lines(lines: Iterator[bytes], *, origin: str, max_line_bytes: int) -> Iterator[Item]:
    """One article per non-blank line; a bad line is an error for that line only."""
    for number, raw in enumerate(lines, start=1):
        label = f"{origin}:{number}"
        if not raw.strip():
            continue
        if len(raw) > max_line_bytes:
            yield label, None, f"line too large ({len(raw):,} bytes)"
            continue
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            yield label, None, f"not JSON: {exc}"
            continue
        yield _item(label, data, origin)
