"""Memory probe for long runs (not imported by the app; issue 17, E21).

Put this folder first on PYTHONPATH and set MEMPROBE to a folder name under the directory
MEMPROBE_ROOT (default /tmp/memprobe); every process started with that environment (bench.soak's
server, its workers, imports, merge processes) then appends, every 30 s, to
MEMPROBE_ROOT/MEMPROBE/<pid>.txt: its RSS, glibc's heap figures (mallinfo2: arena bytes, mmap'd
blocks, in use, free inside arenas) and, with PYTHONTRACEMALLOC=1, tracemalloc's top lines.

    MEMPROBE=run1 PYTHONPATH=bench/memprobe .venv/bin/python -m bench.soak ...

RSS far above arena + mmap is Python's own allocator and the libraries; "free" that grows is
fragmentation; "in use" that grows and stays is memory something holds.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
import time
import tracemalloc
from pathlib import Path


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd",
            "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


def _sample(libc: ctypes.CDLL, out: Path) -> None:
    mb = 1 << 20
    pages = int(Path(f"/proc/{os.getpid()}/statm").read_text().split()[1])
    rss = pages * os.sysconf("SC_PAGE_SIZE")
    info = libc.mallinfo2()
    traced, peak = tracemalloc.get_traced_memory() if tracemalloc.is_tracing() else (0, 0)
    lines = [
        f"== {time.strftime('%H:%M:%S')} argv={' '.join(sys.argv)[:80]} rss={rss // mb}MB "
        f"arena={info.arena // mb}MB mmap={info.hblkhd // mb}MB inuse={info.uordblks // mb}MB "
        f"free={info.fordblks // mb}MB traced={traced // mb}MB peak={peak // mb}MB "
        f"threads={threading.active_count()}"
    ]
    if tracemalloc.is_tracing():
        for stat in tracemalloc.take_snapshot().statistics("lineno")[:12]:
            frame = stat.traceback[0]
            lines.append(f"   {stat.size >> 10}KB n={stat.count} {frame.filename}:{frame.lineno}")
    with out.open("a") as f:
        f.write("\n".join(lines) + "\n")


def _loop(out: Path) -> None:
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    while True:
        time.sleep(30)
        try:
            _sample(libc, out)
        except Exception as exc:  # a probe must never disturb the process it watches
            with out.open("a") as f:
                f.write(f"probe error {exc!r}\n")


if os.environ.get("MEMPROBE"):
    _folder = Path(os.environ.get("MEMPROBE_ROOT", "/tmp/memprobe")) / os.environ["MEMPROBE"]
    _folder.mkdir(parents=True, exist_ok=True)
    threading.Thread(target=_loop, args=(_folder / f"{os.getpid()}.txt",), daemon=True).start()
