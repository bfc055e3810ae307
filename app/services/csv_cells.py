"""CSV the archive writes, safe to open in a spreadsheet: a text cell that starts with `=`, `+`,
`-`, `@`, a tab or a carriage return would be read as a formula (`=HYPERLINK(...)` in a
title runs when the export is opened), so it gets a leading `'`, which spreadsheets show as
text (OWASP's "CSV injection" advice). Numbers are written as they are."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Text(Protocol):
    def write(self, s: str, /) -> Any: ...


def safe_cell(value: Any) -> Any:
    """`value`, with a leading `'` when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer whose every cell goes through `safe_cell`: the one way the app writes CSV."""

    def __init__(self, out: _Text) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
