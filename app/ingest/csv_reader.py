"""CSV / TSV reader: a header row with the documented field names, one article a row."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator

from app.ingest.fields import record_from_mapping
from app.ingest.record import InvalidArticle, Item

# Article bodies are long; the csv module's default 128 KiB field limit is too small for some.
csv.field_size_limit(16 * 1024 * 1024)


def read_csv(
    text: str, *, origin: str, on_fraction: Callable[[float], None] | None = None
) -> Iterator[Item]:
    """Every row of a CSV (comma, semicolon or tab, as the header row uses) as an article;
    `on_fraction` hears how much of the text has been read before each row is yielded."""
    # The delimiter is the one the header row uses most: csv.Sniffer guesses wrong on long
    # quoted bodies full of commas and semicolons.
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = max(",;\t", key=header.count)
    buffer = io.StringIO(text.lstrip("\ufeff"), newline="")
    reader = csv.DictReader(buffer, delimiter=delimiter)
    try:
        if not reader.fieldnames:
            yield origin, None, "empty CSV (no header row)"
            return
        rows = 0
        for row in reader:
            rows += 1
            label = f"{origin}:{reader.line_num}"
            row.pop(None, None)  # cells beyond the header
            if on_fraction:
                on_fraction(buffer.tell() / max(len(text), 1))
            try:
                yield (
                    label,
                    record_from_mapping(row, origin=origin, provenance={"file": origin}),
                    None,
                )
            except InvalidArticle as exc:
                yield label, None, str(exc)
        if not rows:
            yield origin, None, "the CSV has a header row but no articles"
    except csv.Error as exc:
        yield f"{origin}:{reader.line_num}", None, f"malformed CSV: {exc}"
