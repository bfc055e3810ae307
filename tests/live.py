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
def server_process(args: list[str], *, env: dict[str, str], log_path: Path) -> Iterator[str]:
    """Run a server command (`args` after the Python executable; it must take `--port`, added
    here) on 127.0.0.1, wait until /api/v1/health answers, yield the base URL; stop it after
    (terminate, then kill), whatever happens. Its output goes to `log_path`."""
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
            deadline = time.monotonic() + 30
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
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def clean_env(data_dir: Path, **env: str) -> dict[str, str]:
    """This process's environment without NEWSARCHIVE_* settings, then the archive's own."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")},
        "NEWSARCHIVE_DATA_DIR": str(data_dir),
        **{f"NEWSARCHIVE_{k.upper()}": v for k, v in env.items()},
    }


UVICORN = ["-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1"]


@contextmanager
def live_server(data_dir: Path, migrated_db: Path, **env: str) -> Iterator[str]:
    """Serve a copy of the migrated database from `data_dir`; yields the base URL."""
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(migrated_db, data_dir / "archive.db")
    with server_process(
        [*UVICORN, "--log-level", "warning"],
        env=clean_env(data_dir, **env),
        log_path=data_dir / "server.log",
    ) as base:
        yield base


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
