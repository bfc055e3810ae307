"""`newsarchive backup` and `restore`: an online, consistent copy of a SQLite archive
(issue 17, D15).

The database is copied with `VACUUM INTO`, which reads one snapshot in one read transaction:
writers go on meanwhile (WAL) and the copy is the database as it was at one instant, tokens and
import history included. The index is copied from its latest committed generation and verified
against its checksums. The two are taken a moment apart, so they may differ by the writes made
in between; `restore` therefore finishes with `check --repair`, which brings the index level
with the restored database (a handful of documents, not a rebuild). On PostgreSQL, back up with
`pg_dump` (docs/operations.md): the index is part of the rows.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app import __version__
from app.archive import Archive, open_archive
from app.config import Settings
from app.models import Article
from app.search.base import SearchUnavailable
from app.services.index_sync import CheckReport, check

DB_NAME = "archive.db"
INDEX_NAME = "index"
META_NAME = "backup.json"


class BackupError(RuntimeError):
    """A backup or restore that cannot be done, with the reason for the operator."""


@dataclass
class BackupReport:
    dest: Path
    articles: int
    index_files: int
    index_note: str
    seconds: float


@dataclass
class RestoreReport:
    articles: int
    check: CheckReport
    seconds: float


def _sqlite_path(url: str) -> Path:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise BackupError(
            "backup and restore copy a SQLite archive; on PostgreSQL use pg_dump and "
            "pg_restore (docs/operations.md)"
        )
    return Path(parsed.database)


def _empty_or_missing(dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} already exists and is not an empty folder")


def backup(archive: Archive, *, dest: Path) -> BackupReport:
    """Copy the archive into the new folder `dest` while writes go on."""
    started = time.perf_counter()
    _sqlite_path(archive.settings.resolved_database_url())
    _empty_or_missing(dest)
    dest.mkdir(parents=True, exist_ok=True)
    note = "copied from the latest committed generation, checksums verified"
    try:
        files = len(archive.search.snapshot(dest / INDEX_NAME))
    except SearchUnavailable as exc:
        # The database is what matters: back it up anyway; restore rebuilds the index.
        shutil.rmtree(dest / INDEX_NAME, ignore_errors=True)
        files, note = 0, f"not copied ({exc}); restore rebuilds it from the database"
    target = dest / DB_NAME
    with archive.engine.connect() as conn:
        # One read transaction: the database as it was at one instant, writers going on.
        conn.exec_driver_sql("VACUUM INTO ?", (str(target),))
    with closing(sqlite3.connect(target)) as copy:
        articles = int(copy.execute("SELECT count(*) FROM articles").fetchone()[0])
        revision = copy.execute("SELECT version_num FROM alembic_version").fetchone()
    meta = {
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "app_version": __version__,
        "schema_revision": revision[0] if revision else None,
        "articles": articles,
        "index": note,
    }
    (dest / META_NAME).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return BackupReport(dest, articles, files, note, time.perf_counter() - started)


def _verify_database(path: Path) -> None:
    if not path.is_file():
        raise BackupError(f"{path} not found: not a `newsarchive backup` folder")
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            result = db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database: {exc}") from None
    if result != "ok":
        raise BackupError(f"{path} is damaged: {result}")


def _articles_in(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as db:
            return int(db.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.DatabaseError:
        return 0  # no articles table yet (a fresh data folder)


def restore(settings: Settings, *, src: Path, force: bool = False) -> RestoreReport:
    """Replace the archive in `settings.data_dir` with the backup in `src`, then bring the
    index level with the restored database. The server must be stopped meanwhile."""
    from app.migrate import upgrade

    started = time.perf_counter()
    db_path = _sqlite_path(settings.resolved_database_url())
    _verify_database(src / DB_NAME)
    present = _articles_in(db_path)
    if present and not force:
        raise BackupError(
            f"the archive in {settings.data_dir} has {present} articles; restoring replaces "
            "them (use --force), or import an export into it instead"
        )
    settings.ensure_dirs()
    index_dir = settings.resolved_index_dir()
    try:
        lock = FileLock(str(settings.lock_path())).acquire(timeout=30)
    except Timeout:
        raise BackupError("another process is writing to the archive; stop it first") from None
    with lock:
        staged = db_path.with_name(db_path.name + ".restoring")
        shutil.copyfile(src / DB_NAME, staged)
        # A write-ahead log left by the old database must never be applied to the new one.
        for suffix in ("-wal", "-shm"):
            Path(str(db_path) + suffix).unlink(missing_ok=True)
        os.replace(staged, db_path)
        shutil.rmtree(index_dir, ignore_errors=True)
        if (src / INDEX_NAME).is_dir():
            shutil.copytree(src / INDEX_NAME, index_dir)
        else:
            index_dir.mkdir(parents=True)
    upgrade(settings.resolved_database_url())  # a backup made by an older version
    archive = open_archive(settings)
    try:
        report = check(archive, repair=True)
        with archive.sessions() as session:
            articles = int(session.scalar(select(func.count()).select_from(Article)) or 0)
    finally:
        archive.close()
    return RestoreReport(articles, report, time.perf_counter() - started)
