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
from multiprocessing.connection import Connection
from pathlib import Path

from app.processes import exit_with_parent

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5


def merge_in_child(index_path: Path, *, timeout: float, stop: threading.Event | None) -> int:
    """Run the background merge of the index at `index_path` in a new process and wait for it
    (or stop it when `stop` is set); the segments it merged away."""
    context = multiprocessing.get_context("spawn")  # never fork a threaded server worker
    receive, send = context.Pipe(duplex=False)
    child = context.Process(
        target=_merge_main,
        args=(str(index_path), timeout, os.getpid(), send),
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
        return int(receive.recv()) if receive.poll() else 0
    finally:
        receive.close()


def _merge_main(index_path: str, timeout: float, parent_pid: int, send: Connection) -> None:
    exit_with_parent(parent_pid)
    from app.search.whoosh.backend import WhooshBackend  # the backend imports this module

    backend = WhooshBackend(Path(index_path), writer_timeout=timeout)
    try:
        send.send(backend.merge_segments())
    finally:
        backend.close()
        send.close()
