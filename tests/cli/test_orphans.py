"""Children notice their parent's death (issue 17, item 20): after a `kill -9` of an import, its
index worker processes (and multiprocessing's fork server and resource tracker) end; after a
`kill -9` of `serve --workers 2`'s parent, both workers stop serving and free the port."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from app.config import Settings
from bench.serving import clean_env, free_port

NEWSARCHIVE = str(Path(sys.executable).parent / "newsarchive")
BOUND = 20.0  # seconds the children get to notice (they look every half second)


def children_of(pid: int) -> set[int]:
    """Every live descendant of `pid` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if stat[0] != "Z":
                parents[int(entry.name)] = int(stat[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    left = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            left.add(pid)
    return left


def wait_gone(pids: set[int]) -> set[int]:
    deadline = time.monotonic() + BOUND
    while (left := alive(pids)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def kill_all(pids: set[int]) -> None:
    for pid in alive(pids):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_a_killed_import_leaves_no_index_workers_behind(settings: Settings, tmp_path: Path) -> None:
    source = tmp_path / "wire.jsonl"
    words = " ".join(f"word{i}" for i in range(300))
    with source.open("w") as out:
        for i in range(6000):
            out.write(json.dumps({"date": "2021-05-01", "title": f"T {i}", "body": f"{i} {words}"}))
            out.write("\n")
    env = clean_env(settings.data_dir, index_processes="2")
    proc = subprocess.Popen(
        [NEWSARCHIVE, "import", "-q", "--batch-size", "1000", str(source)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        # Until the index workers run: the tracker, the fork server and 2 workers at least.
        while len(now := children_of(proc.pid)) < 4:
            seen |= now
            assert proc.poll() is None, "the import ended before its index workers were seen"
            assert time.monotonic() < deadline, f"no index workers seen: {seen}"
            time.sleep(0.05)
        seen |= now
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        left = wait_gone(seen)
        assert not left, f"still running {BOUND:.0f} s after the import was killed: {left}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        kill_all(seen)


def answers(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/api/v1/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@pytest.mark.slow
def test_workers_stop_and_free_the_port_when_serve_is_killed(
    settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [NEWSARCHIVE, "serve", "--workers", "2", "--port", str(port), "--no-access-log"],
        env=clean_env(settings.data_dir),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while not answers(base):
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        workers = children_of(proc.pid)
        assert len(workers) >= 2
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        left = wait_gone(workers)
        assert not left, f"still running {BOUND:.0f} s after serve was killed: {left}"
        assert not answers(base)
        with socket.socket() as again:  # the next start can bind the port
            again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            again.bind(("127.0.0.1", port))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        kill_all(workers)
        log.close()
