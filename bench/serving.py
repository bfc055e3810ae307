"""Start a real server process on 127.0.0.1 and wait until it answers: shared by the HTTP
benchmarks and the tests that need a live server (tests/live.py imports it; benchmarks never
import test helpers)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(data_dir: Path, **env: str) -> dict[str, str]:
    """This process's environment without NEWSARCHIVE_* settings, then the archive's own."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")},
        "NEWSARCHIVE_DATA_DIR": str(data_dir),
        **{f"NEWSARCHIVE_{k.upper()}": v for k, v in env.items()},
    }


@contextmanager
def server_process(
    args: list[str], *, env: dict[str, str], log_path: Path, start_timeout: float = 60.0
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run a server command (`args` after the Python executable; it must take `--port`, added
    here) on 127.0.0.1, wait until /api/v1/health answers, yield the base URL and the process;
    stop it after (terminate, then kill), whatever happens. Its output goes to `log_path`."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, *args, "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + start_timeout
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/api/v1/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        err = log_path.read_text(errors="replace")
                        raise RuntimeError(f"the server did not start: {err[-2000:]}") from None
                    time.sleep(0.1)
            yield base, proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
