"""The server's indexer: a daemon thread that drains the index outbox at start-up (what a killed
run or an import with `--no-wait` left behind) and whenever work appears later (bulk requests
answered before indexing), one large batch at a time. Health says "behind" meanwhile. When
there is nothing to index, it merges index segments (app.search.whoosh.merging)."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import select

from app.archive import Archive, WriteBusy
from app.memory import release_free_memory
from app.models import IndexOutbox
from app.services.index_sync import CATCH_UP_BATCH, drain_outbox

log = logging.getLogger(__name__)
# A pause between batches, so a single write waiting for the index lock gets it first.
YIELD_SECONDS = 0.1


class BackgroundIndexer:
    def __init__(
        self, archive: Archive, *, interval: float, batch_size: int = CATCH_UP_BATCH
    ) -> None:
        self.archive = archive
        self.interval = interval
        self.batch_size = batch_size
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="index-catch-up", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Stop after the batch in hand (its entries stay in the outbox if it is cut short)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def drain_once(self) -> int:
        """One batch, if there is work and no other process is indexing; entries applied."""
        with self.archive.sessions() as session:
            if session.scalar(select(IndexOutbox.id).limit(1)) is None:
                return 0
        try:
            # Another worker process holding it is indexing already: leave it to that one.
            with self.archive.index_lock(timeout=0):
                return drain_outbox(self.archive, limit=self.batch_size)
        except WriteBusy:
            return 0

    def merge(self) -> int:
        """When idle: merge index segments, in a child process (outside every lock; another
        process merging already makes this a no-op)."""
        try:
            return self.archive.search.merge_segments(self._stop, separate_process=True)
        except Exception:
            log.exception("merging index segments failed; retrying when idle again")
            return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                applied = self.drain_once()
            except Exception:
                log.exception("background indexing failed; retrying in %.0f s", self.interval)
                applied = 0
            if applied:
                log.info("indexed %d pending updates", applied)
                release_free_memory()
            else:
                self.merge()
            if self._stop.wait(YIELD_SECONDS if applied else self.interval):
                return
