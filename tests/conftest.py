"""Fixtures: every test gets its own data directory (database + index) and app."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.archive import Archive, open_archive
from app.config import Settings
from app.main import create_app
from app.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "blinken-2022-01-06.txt"
CORPORA = ROOT.parent / "shared" / "corpora"
TOKEN = "test-token-123"


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated once per session; each test copies it (migrations cost ~0.3 s)."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "archive.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def settings(tmp_path: Path, migrated_db: Path) -> Settings:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(migrated_db, data / "archive.db")
    return Settings(data_dir=data, api_token=TOKEN, write_lock_timeout=30)  # type: ignore[arg-type]


@pytest.fixture
def archive(settings: Settings) -> Iterator[Archive]:
    a = open_archive(settings)
    yield a
    a.close()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.skip(f"real-text corpora not found at {CORPORA}")
    return CORPORA
