"""Database engine and sessions. The database is the archive's single source of truth."""

from __future__ import annotations

from functools import partial
from typing import Any, Literal

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# A naming convention keeps constraint names stable, so Alembic migrations (including SQLite batch
# migrations, which recreate tables) can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# FULL: every commit reaches the disk before it is acknowledged (a power cut loses nothing that
# was answered 201). NORMAL: WAL commits are synced only at checkpoints, so a power cut (not a
# crash of the process) can lose the last commits. See docs/operations.md, "Durability".
Synchronous = Literal["FULL", "NORMAL"]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, *, synchronous: Synchronous) -> None:
    # WAL lets readers (the web server) run while a writer (an import) commits; busy_timeout makes
    # a second writer wait instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA synchronous={synchronous}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.close()


def make_engine(url: str, *, synchronous: Synchronous = "FULL") -> Engine:
    """Create an engine; SQLite gets pragmas suited to one writer and many readers, syncing
    each commit as `synchronous` says."""
    if synchronous not in ("FULL", "NORMAL"):  # interpolated into a PRAGMA: never free text
        raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})
        event.listen(engine, "connect", partial(_sqlite_pragmas, synchronous=synchronous))
        return engine
    return create_engine(url, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Session factory; objects stay usable after commit so services can return them."""
    return sessionmaker(bind=engine, expire_on_commit=False)
