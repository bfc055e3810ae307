"""Hand the heap's free pages back to the operating system (glibc's `malloc_trim`).

A server worker that indexes (single writes, the background indexer's batches, segment merges)
allocates and frees hundreds of megabytes of short-lived buffers, in several threads. glibc
keeps what is freed inside each thread's arena for reuse, so the worker's RSS only grew while
it wrote (issue 17, E21: arenas holding 130-150 MB free after a 10-minute soak).
`malloc_trim(0)` returns the free pages of every arena. Without glibc (macOS, musl) this does
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
