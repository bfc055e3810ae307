"""Runs every `sh` and `python` example in docs/api.md, in order, against a live uvicorn."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEED, TOKEN
from tests.live import live_server

pytestmark = pytest.mark.docs
DOC = ROOT / "docs" / "api.md"
BLOCK = re.compile(r"^```(sh|python)\n(.*?)^```", re.S | re.M)
# Let `import httpx` work where only httpx2 (the same API) is installed.
PRELUDE = (
    "try:\n    import httpx\nexcept ImportError:\n    import httpx2\n    httpx2.alias_httpx()\n"
)


def blocks() -> list[tuple[str, str]]:
    return [(m[1], m[2]) for m in BLOCK.finditer(DOC.read_text(encoding="utf-8"))]


def test_docs_have_curl_python_and_cli_examples() -> None:
    found = blocks()
    assert sum(kind == "python" for kind, _ in found) >= 3
    assert sum("curl" in code for kind, code in found if kind == "sh") >= 4
    assert any("newsarchive tokens" in code for _, code in found)


def test_docs_examples_run(tmp_path: Path, migrated_db: Path) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed (the sh examples use it)")
    data = tmp_path / "data"
    with live_server(data, migrated_db, api_token=TOKEN) as base:
        env = {
            **os.environ,
            "BASE": base,
            "TOKEN": TOKEN,
            "NEWSARCHIVE_DATA_DIR": str(data),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        seeded = subprocess.run(
            [
                *("curl", "-fsS", "-X", "POST", f"{base}/api/v1/articles"),
                *("-H", f"Authorization: Bearer {TOKEN}", "-H", "Content-Type: text/plain"),
                *("--data-binary", f"@{SEED}"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert seeded.returncode == 0 and '"id":1' in seeded.stdout, seeded
        for i, (kind, code) in enumerate(blocks()):
            if kind == "sh":
                argv = ["bash", "-euo", "pipefail", "-c", code]
            else:
                argv = [sys.executable, "-c", PRELUDE + code]
            # In tmp_path: examples that save a file (`curl -o`) must not write into the checkout.
            r = subprocess.run(
                argv, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
            )
            where = f"docs/api.md example {i + 1} ({kind}):\n{code}\nstdout: {r.stdout}"
            assert r.returncode == 0, f"{where}\nstderr: {r.stderr}"
            assert r.stdout.strip(), where
            assert '"error"' not in r.stdout or "bulk" in code, where
            # `# 304`-style comments promise a status: hold the example to it
            for status in re.findall(r"#\s*(\d{3})\b", code):
                assert status in r.stdout, where
