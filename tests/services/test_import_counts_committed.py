"""An import's history commits its added count with each batch (issue 17, item 19): a run killed
with SIGKILL at any moment, even between a batch's commit and its heartbeat, shows as added
exactly the articles it stored."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from app.archive import open_archive
from app.config import Settings
from app.models import Article
from tests.services.test_import_interrupted import NEWSARCHIVE, history, start_and_wait, wire

# The CLI, whose heartbeat after the third committed batch kills its own process: the moment
# after the articles are stored and before the counts of the heartbeat are.
KILLED_BEFORE_THIRD_HEARTBEAT = """
import os, signal
import app.services.imports as imports
heartbeats = 0
original = imports.record_progress
def record_progress(*args, **kwargs):
    global heartbeats
    heartbeats += 1
    if heartbeats == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    original(*args, **kwargs)
imports.record_progress = record_progress
from app.cli import main
main(prog_name="newsarchive")
"""


def stored(settings: Settings) -> int:
    archive = open_archive(settings)
    try:
        with archive.sessions() as session:
            return int(session.scalar(select(func.count(Article.id))) or 0)
    finally:
        archive.close()


def test_killed_between_a_batch_and_its_heartbeat_the_history_counts_the_batch(
    settings: Settings, tmp_path: Path
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NEWSARCHIVE_")},
        "NEWSARCHIVE_DATA_DIR": str(settings.data_dir),
    }
    source = wire(tmp_path, 200)
    argv = [sys.executable, "-c", KILLED_BEFORE_THIRD_HEARTBEAT, "import", "-q"]
    proc = subprocess.run(
        [*argv, "--batch-size", "25", str(source)], env=env, capture_output=True, timeout=120
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    [killed] = history(settings)
    assert killed["status"] == "interrupted"
    assert stored(settings) == 75
    assert killed["added"] == 75


def test_killed_at_any_moment_the_history_counts_what_was_stored(
    settings: Settings, tmp_path: Path
) -> None:
    proc = start_and_wait(settings, wire(tmp_path, 1200), added=100)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert NEWSARCHIVE.exists()
    [killed] = history(settings)
    assert killed["status"] == "interrupted"
    assert killed["added"] == stored(settings)
