"""A real uvicorn serving a temporary archive on 127.0.0.1 (for the docs and fuzz tests)."""

from __future__ import annotations

import os
import shutil
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


@contextmanager
def live_server(data_dir: Path, migrated_db: Path, **env: str) -> Iterator[str]:
    """Serve a copy of the migrated database from `data_dir`; yields the base URL."""
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(migrated_db, data_dir / "archive.db")
    port = free_port()
    log_path = data_dir / "server.log"
    log = log_path.open("wb")
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")},
        "NEWSARCHIVE_DATA_DIR": str(data_dir),
        **{f"NEWSARCHIVE_{k.upper()}": v for k, v in env.items()},
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            *("-m", "uvicorn", "app.main:create_app", "--factory"),
            *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/v1/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = log_path.read_text(errors="replace")
                    raise RuntimeError(f"uvicorn did not start: {err[-2000:]}") from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@contextmanager
def serve_in_thread(app: object) -> Iterator[str]:
    """Serve `app` with a real uvicorn in a thread of this process (so a test can patch what the
    app calls, and read its responses as they stream); yields the base URL."""
    import threading

    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")  # type: ignore[arg-type]
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
