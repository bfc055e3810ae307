"""A real uvicorn serving a temporary archive on 127.0.0.1 (for the docs and fuzz tests)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import serving
from bench.serving import clean_env, free_port

ROOT = Path(__file__).resolve().parent.parent
__all__ = ["clean_env", "free_port", "live_server", "serve_in_thread", "server_process"]


@contextmanager
def server_process(args: list[str], *, env: dict[str, str], log_path: Path) -> Iterator[str]:
    """bench.serving.server_process, yielding only the base URL."""
    with serving.server_process(args, env=env, log_path=log_path, start_timeout=30) as (base, _):
        yield base


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
