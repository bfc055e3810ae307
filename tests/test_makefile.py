"""What `make run` and `make test-browser` do (issue 18 item 10), read from `make -n` (nothing
runs): serving installs runtime dependencies only, seeds only an empty archive, and the browser
target fails rather than skips without Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def _dry_run(target: str, tmp_path: Path) -> str:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    result = subprocess.run(
        ["make", "-n", "-B", target, f"VENV={tmp_path / 'venv'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_make_run_installs_runtime_dependencies_only(tmp_path: Path) -> None:
    commands = _dry_run("run", tmp_path)
    installs = [line for line in commands.splitlines() if "pip install" in line]
    assert installs and all("[dev]" not in line for line in installs), installs
    assert any(line.rstrip().endswith("-e .") for line in installs)
    assert "import --quiet --if-empty seeds/" in commands


def test_make_test_installs_the_dev_extra(tmp_path: Path) -> None:
    assert "-e '.[dev]'" in _dry_run("test", tmp_path)


def test_make_test_browser_requires_chromium(tmp_path: Path) -> None:
    assert "NEWSARCHIVE_REQUIRE_BROWSER=1" in _dry_run("test-browser", tmp_path)
    env = {
        **os.environ,
        "NEWSARCHIVE_REQUIRE_BROWSER": "1",
        "NEWSARCHIVE_CHROMIUM": str(tmp_path / "no-chromium"),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-m",
            "browser",
            "--collect-only",
            "-q",
            "tests/browser",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "browser tests cannot run: no Chromium at" in result.stdout + result.stderr
