"""SQLite durability: commits are synced to disk before they are acknowledged unless the operator
chooses otherwise (NEWSARCHIVE_SQLITE_SYNCHRONOUS; docs/operations.md, "Durability")."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from app.archive import open_archive
from app.config import Settings

FULL, NORMAL = 2, 1  # what PRAGMA synchronous reads back


def synchronous_of(settings: Settings) -> int:
    archive = open_archive(settings)
    try:
        with archive.engine.connect() as conn:
            return int(conn.scalar(text("PRAGMA synchronous")))
    finally:
        archive.close()


def test_commits_are_synced_in_full_by_default(settings: Settings) -> None:
    assert settings.sqlite_synchronous == "FULL"
    assert synchronous_of(settings) == FULL


def test_normal_is_a_setting_read_from_the_environment(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSARCHIVE_SQLITE_SYNCHRONOUS", "normal")
    chosen = Settings(data_dir=settings.data_dir)
    assert chosen.sqlite_synchronous == "NORMAL"
    assert synchronous_of(chosen) == NORMAL


def test_any_other_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSARCHIVE_SQLITE_SYNCHRONOUS", "OFF; DROP TABLE articles")
    with pytest.raises(ValidationError, match="FULL"):
        Settings()
