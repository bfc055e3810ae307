"""Background segment merges in a process of their own (issue 17, E21).

A merge reads every posting of the segments it merges and pools them before writing the merged
segment: hundreds of megabytes for a tier of tens of thousands of documents, and seconds to
minutes of CPU. In a server worker that memory stayed with the worker (RSS grew in steps
while the archive was written to) and the merge held the worker's GIL while it answered
searches. A child process returns all of it to the system when it exits, and leaves the
worker's interpreter free. The merge itself is app.search.whoosh.merging's, unchanged: file
locks keep it to one at a time across processes, and a killed child's files are cleared by
the next merge. Imported by the Whoosh backend only.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

from app.processes import exit_with_parent

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5


# What the child runs: merge the index at the path (write lock timeout given), return the
# segments merged away. The backend passes its own, so this module never imports it.
Merge = Callable[[Path, float], int]


def merge_in_child(
    merge: Merge, index_path: Path, *, timeout: float, stop: threading.Event | None
) -> int:
    """Run `merge` on the index at `index_path` in a new process and wait for it (or stop it
    when `stop` is set); the segments it merged away. `merge` must be a module-level function
    (the child imports it by name)."""
    context = multiprocessing.get_context("spawn")  # never fork a threaded server worker
    receive, send = context.Pipe(duplex=False)
    child = context.Process(
        target=_merge_main,
        args=(merge, str(index_path), timeout, os.getpid(), send),
        name="index-merge",
        daemon=True,
    )
    child.start()
    send.close()
    try:
        while child.is_alive():
            if stop is not None and stop.is_set():
                child.terminate()  # its half-written files are cleared by the next merge
                break
            child.join(POLL_SECONDS)
        child.join()
        if child.exitcode != 0:
            if not (stop is not None and stop.is_set()):
                log.warning("the index merge process ended with exit code %s", child.exitcode)
            return 0
        merged = int(receive.recv()) if receive.poll() else 0
        if merged:  # the child's own log lines go nowhere: its logging is not set up
            log.info("merged %d index segments (merge process %s)", merged, child.pid)
        return merged
    finally:
        receive.close()


def _merge_main(
    merge: Merge, index_path: str, timeout: float, parent_pid: int, send: Connection
) -> None:
    exit_with_parent(parent_pid)
    try:
        send.send(merge(Path(index_path), timeout))
    finally:
        send.close()
