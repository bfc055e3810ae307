"""The archive: settings, database, search backend and writers' lock, built once, passed down."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from filelock import FileLock, Timeout
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import make_engine, make_session_factory
from app.search.base import SearchBackend

log = logging.getLogger(__name__)
# Any fixed 64-bit number, the same in every process: "the archive's writer lock".
ADVISORY_KEY = 0x4E657773417263  # "NewsArc"
TURNSTILE_KEY = ADVISORY_KEY + 1  # writers queue here for ADVISORY_KEY (see write_lock)


class WriteBusy(RuntimeError):
    """Another writer held the archive for longer than the configured timeout."""


@dataclass
class Archive:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    search: SearchBackend
    _lock: FileLock
    _turn: FileLock
    _index_lock: FileLock | None = None
    # A streaming replica (NEWSARCHIVE_READ_DATABASE_URL): searches and page reads go there.
    replica: Engine | None = None
    _replica_sessions: sessionmaker[Session] | None = None

    @property
    def read_sessions(self) -> sessionmaker[Session]:
        """Sessions for searches and page reads: the replica's when one is configured, else the
        primary's. Writes, tokens, import history and read-your-writes paths use `sessions`."""
        return self._replica_sessions or self.sessions

    @contextmanager
    def write_lock(self, timeout: float | None = None) -> Iterator[None]:
        """One writer at a time across threads and processes: database row, then index, in order.

        A second writer (another import, an API call) waits for the first instead of failing,
        and for no more than the writer in front of it: writers queue at a turnstile (a second
        lock, held only while waiting for the first), so an import that takes the archive
        batch after batch lets a waiting API write in between two batches (see `_take_turn`).
        """
        wait = self.settings.write_lock_timeout if timeout is None else timeout
        if self.engine.dialect.name == "postgresql":
            # Several app servers share one database: a PostgreSQL advisory lock is what they
            # all see (a file lock is only seen on one machine).
            with self._advisory_lock(wait):
                yield
            return
        try:
            with self._take_turn(wait):
                yield
        except Timeout:
            raise WriteBusy(
                f"another writer has held the archive for more than {wait:.0f} s; try again later"
            ) from None

    @contextmanager
    def _take_turn(self, wait: float) -> Iterator[None]:
        """The write lock, taken through the turnstile. Without it, an import that frees the
        lock between batches takes it back within a millisecond, while a waiting writer only
        looks every 50 ms: API writes waited for many batches (issue 17, item 14). With it, a
        waiting writer holds the turnstile, so the import's next batch queues behind it."""
        if self._lock.is_locked:  # this thread holds it already (a nested write): no queue
            with self._lock.acquire(timeout=wait):
                yield
            return
        deadline = time.monotonic() + wait
        with self._turn.acquire(timeout=wait):
            self._lock.acquire(timeout=max(0.0, deadline - time.monotonic()))
        try:
            yield
        finally:
            self._lock.release()

    @contextmanager
    def _advisory_lock(self, wait: float) -> Iterator[None]:
        with self.engine.connect() as conn:
            deadline = time.monotonic() + wait

            def take(key: int) -> None:
                while not conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}):
                    if time.monotonic() > deadline:
                        raise WriteBusy(
                            f"another writer has held the archive for more than {wait:.0f} s"
                        )
                    time.sleep(0.02)

            # The same turnstile as on SQLite (see _take_turn), as a second advisory lock.
            take(TURNSTILE_KEY)
            try:
                take(ADVISORY_KEY)
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": TURNSTILE_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
                conn.commit()

    @contextmanager
    def index_lock(self, timeout: float | None = None) -> Iterator[None]:
        """One index writer at a time (the indexer, a single write's own entries, a repair):
        held while it reads rows, writes the index and clears their outbox entries, so an older
        version of a row can never overwrite a newer one in the index. Taken after the write
        lock, never before it; the index is a folder on this machine, so a file lock suffices."""
        if self._index_lock is None:
            self._index_lock = FileLock(str(self.settings.index_lock_path()))
        wait = self.settings.write_lock_timeout if timeout is None else timeout
        try:
            with self._index_lock.acquire(timeout=wait):
                yield
        except Timeout:
            raise WriteBusy(
                f"the indexer has held the index for more than {wait:.0f} s; try again later"
            ) from None

    def close(self) -> None:
        self.search.close()
        self.engine.dispose()
        if self.replica is not None:
            self.replica.dispose()


def make_search_backend(settings: Settings, engine: Engine) -> SearchBackend:
    """The configured search backend."""
    if settings.search_backend == "postgres":
        from app.search.postgres import PostgresBackend

        return PostgresBackend(engine)
    if settings.search_backend == "whoosh":
        from app.search.whoosh.backend import WhooshBackend

        return WhooshBackend(
            settings.resolved_index_dir(),
            writer_timeout=settings.write_lock_timeout,
            cache_size=settings.search_cache_size,
            processes=settings.resolved_index_processes(),
        )
    raise ValueError(
        f"unknown search backend {settings.search_backend!r} (available: whoosh, postgres)"
    )


def open_archive(settings: Settings) -> Archive:
    """Open the database and the search index named by `settings`."""
    settings.ensure_dirs()
    engine = make_engine(settings.resolved_database_url(), synchronous=settings.sqlite_synchronous)
    if settings.search_backend == "postgres" and engine.dialect.name != "postgresql":
        engine.dispose()
        raise ValueError(
            "NEWSARCHIVE_SEARCH_BACKEND=postgres needs a PostgreSQL database "
            "(NEWSARCHIVE_DATABASE_URL=postgresql+psycopg://user:password@host/dbname)"
        )
    replica = _replica_engine(settings, engine)
    return Archive(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        # The PostgreSQL backend searches whichever engine it is given: the replica's if any.
        search=make_search_backend(settings, replica or engine),
        _lock=FileLock(str(settings.lock_path())),
        _turn=FileLock(str(settings.lock_path().with_name("write.turn.lock"))),
        replica=replica,
        _replica_sessions=make_session_factory(replica) if replica is not None else None,
    )


def _replica_engine(settings: Settings, primary: Engine) -> Engine | None:
    """The read replica's engine, or None without NEWSARCHIVE_READ_DATABASE_URL."""
    if not settings.read_database_url:
        return None
    if primary.dialect.name != "postgresql":
        primary.dispose()
        raise ValueError(
            "NEWSARCHIVE_READ_DATABASE_URL needs a PostgreSQL primary "
            "(NEWSARCHIVE_DATABASE_URL=postgresql+psycopg://...) and a streaming replica of it"
        )
    replica = make_engine(settings.read_database_url)
    if replica.dialect.name != "postgresql":
        primary.dispose()
        replica.dispose()
        raise ValueError("NEWSARCHIVE_READ_DATABASE_URL must be a PostgreSQL URL")
    return replica
