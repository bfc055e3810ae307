"""app.memory: freed heap pages go back to the operating system (issue 17, E21)."""

from __future__ import annotations

import ctypes.util
import platform
from pathlib import Path

import pytest

from app.memory import release_free_memory

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
    reason="malloc_trim is glibc's; elsewhere release_free_memory does nothing",
)


def rss_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096


def test_freed_heap_pages_leave_the_process() -> None:
    assert ctypes.util.find_library("c")
    # 100 MB in 64 KB blocks: below glibc's mmap threshold, so they come from the heap; the
    # last block stays alive, pinning the heap's top, so free() alone gives nothing back.
    blocks = [bytearray(64 * 1024) for _ in range(1600)]
    keep = blocks.pop()
    blocks.clear()
    before = rss_bytes()
    assert release_free_memory() is True
    after = rss_bytes()
    assert before - after > 50 * 1024 * 1024, (before, after)
    assert len(keep) == 64 * 1024
