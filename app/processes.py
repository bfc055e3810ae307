"""Child processes that end with their parent.

A `kill -9` gives a process no chance to stop its children: the index workers of an import and
the workers of `serve --workers N` used to live on for minutes (still writing index files, still
holding the port). Each such child runs `exit_with_parent`: a thread that looks every half
second whether the process it works for is still there, and stops this one when it is not.
A thread rather than Linux's PR_SET_PDEATHSIG: that signal follows the parent *thread* (a
worker started from a thread that ends would be killed while its parent lives) and only the
direct parent, while an index worker is started by multiprocessing's fork server on behalf of
the import; here the process watched is named explicitly.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)
# Set by `serve --workers N` for its workers: the pid they serve for.
PARENT_PID_ENV = "NEWSARCHIVE_SERVE_PARENT_PID"
CHECK_EVERY = 0.5  # seconds


def process_gone(pid: int) -> bool:
    """Whether no process `pid` runs any more (a zombie, dead but not yet reaped, is gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # someone else's process: alive
    try:  # Linux: the state letter follows the command name in brackets
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state in ("Z", "X")


def exit_with_parent(parent_pid: int, *, grace: float = 10.0) -> threading.Thread:
    """Stop this process once `parent_pid` is gone: SIGTERM to itself first (a clean stop, e.g.
    uvicorn finishing the requests in flight), then, `grace` seconds later, an immediate exit."""

    direct_parent = os.getppid()  # reparented (to init or a subreaper) when it dies

    def watch() -> None:
        while not process_gone(parent_pid) and os.getppid() == direct_parent:
            time.sleep(CHECK_EVERY)
        log.warning("process %s is gone: stopping process %s", parent_pid, os.getpid())
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace)
        os._exit(1)

    thread = threading.Thread(target=watch, name="exit-with-parent", daemon=True)
    thread.start()
    return thread


def exit_with_parent_from_env() -> None:
    """`exit_with_parent` for the pid in NEWSARCHIVE_SERVE_PARENT_PID, when it is set."""
    value = os.environ.get(PARENT_PID_ENV, "")
    if value.isdigit():
        exit_with_parent(int(value))
