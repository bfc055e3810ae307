"""Hand the heap's free pages back to the operating system (glibc's `malloc_trim`).

A server worker that indexes (single writes, the background indexer's batches) allocates and
frees tens to hundreds of megabytes of short-lived buffers, in several threads; glibc keeps
what is freed inside each thread's arena for reuse (130-150 MB free in the arenas of each
worker after a 10-minute soak, issue 17 E21; docs/performance.md). `malloc_trim(0)` returns
the free pages of every arena, in about 0.2 ms. Without glibc (macOS, musl) this does
nothing. Called after index work by the server's paths (app.services.indexer, articles).
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable
from typing import Any


@functools.cache
def _malloc_trim() -> Callable[[int], Any] | None:
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def release_free_memory() -> bool:
    """Give free heap pages back to the OS; False where the C library cannot."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
