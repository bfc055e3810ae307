"""Time spent assigning story ids during an import (bench.suite reports it per article)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from app.services import stories


@contextmanager
def timed_story_ids() -> Iterator[list[float]]:
    """Sums the seconds spent in app.services.stories.assign (signatures, LSH lookups, the
    exact checks of candidates and the writes) while the block runs, in this process."""
    spent = [0.0]
    original = stories.assign

    def timed(*args: Any, **kwargs: Any) -> stories.Assigned:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    with mock.patch.object(stories, "assign", timed):
        yield spent
