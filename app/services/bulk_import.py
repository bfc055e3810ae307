"""The bulk import behind POST /api/v1/articles/bulk: a received body of one JSON record per
line, stored batch by batch, each line's result produced as soon as its batch is stored, and
the run finished exactly once in the import history however it ends."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import IO, Any

from app.archive import Archive, WriteBusy
from app.ingest.record import ArticleIn, InvalidArticle
from app.services import articles
from app.services.imports import MAX_ERRORS_KEPT, finish_import, record_progress
from app.services.index_sync import index_lag

# Error lines sent back per request; the rest are only counted (`errors_omitted` in the
# summary): a megabyte of two-byte bad lines once made a 71 MB answer.
MAX_ERROR_ROWS = 1000

log = logging.getLogger(__name__)

Row = dict[str, Any]


class LineRejected(ValueError):
    """A line that is not a valid record; `code` is the machine-readable reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# Turns one line into a record, or raises LineRejected (or InvalidArticle).
ParseLine = Callable[[bytes], ArticleIn]


def body_lines(body: IO[bytes], max_line: int) -> Iterator[bytes | None]:
    """Lines of the body; None for a line longer than `max_line` (skipped, never held whole)."""
    while line := body.readline(max_line + 1):
        if len(line) > max_line and not line.endswith(b"\n"):
            while (rest := body.readline(max_line + 1)) and not rest.endswith(b"\n"):
                pass
            yield None
        else:
            yield line.rstrip(b"\r\n")


def _error(line: int, code: str, message: str) -> Row:
    return {"line": line, "status": "error", "error": {"code": code, "message": message}}


class BulkRun:
    """One bulk request after its body has arrived: read batch by batch from the received body,
    stored, counted, and finished exactly once in the import history however the stream ends
    (completed, failed, or the client gone)."""

    def __init__(
        self,
        archive: Archive,
        *,
        body: IO[bytes],
        run_id: int,
        provenance: dict[str, Any],
        parse: ParseLine,
        wait: bool = True,
    ) -> None:
        self.archive = archive
        # False: store the rows and leave the index work to the server's indexer; the summary
        # line then says how much is still pending (not yet searchable).
        self.wait = wait
        self.body = body
        self.run_id = run_id
        self.provenance = provenance
        self.parse = parse
        self.counts = {"lines": 0, "added": 0, "duplicate": 0, "error": 0}
        self.omitted = 0  # error lines counted but not sent back
        self.failed: list[tuple[str, str]] = []
        self.reported_through = 0  # the last line whose result has been produced
        self._finished = False
        self._finish_lock = threading.Lock()

    def results(self) -> Iterator[list[Row]]:
        """Each batch's per-line results once it is stored, then a last list holding the
        summary row. Meant to run in a worker thread: storing blocks."""
        try:
            yield from self._batches()
        except Exception as exc:
            # The caller has already said all is well (a 200 header is gone): say what
            # happened in the results and in the history.
            log.exception(
                "bulk import #%s failed after line %s", self.run_id, self.reported_through
            )
            message = (
                f"the import stopped after line {self.reported_through} "
                f"({type(exc).__name__}; see the server log): later lines have no result. "
                "Send them again; lines already stored are recognised as duplicates."
            )
            self.finish("failed", fatal=message)
            yield [
                {"error": {"code": "internal_error", "message": message}, "summary": self.summary()}
            ]
            return
        self.finish("failed" if self.counts["error"] else "done")
        yield [{"summary": self.summary()} | ({} if self.wait else {"index": self._index_state()})]

    def summary(self) -> dict[str, int]:
        """The counts, and how many error lines were left out of the answer, if any."""
        return {**self.counts, "errors_omitted": self.omitted} if self.omitted else self.counts

    def _index_state(self) -> dict[str, Any]:
        """For a run that did not wait: whether everything is searchable yet."""
        with self.archive.sessions() as session:
            pending = index_lag(session).pending
        return {"searchable": pending == 0, "pending": pending}

    def _parse(self, number: int, raw: bytes | None, max_line: int) -> ArticleIn | Row:
        if raw is None:
            return _error(number, "too_large", f"line longer than {max_line:,} bytes")
        try:
            item = self.parse(raw)
            articles.validate(item, max_bytes=self.archive.settings.max_article_bytes)
            return item
        except LineRejected as exc:
            return _error(number, exc.code, str(exc))
        except InvalidArticle as exc:
            return _error(number, "invalid_article", str(exc))

    def _batches(self) -> Iterator[list[Row]]:
        settings = self.archive.settings
        max_line = settings.max_article_bytes * 2  # JSON escapes can double a body
        pending: list[Row] = []  # results of lines since the last report
        batch: list[tuple[int, ArticleIn]] = []
        number = 0
        for number, raw in enumerate(body_lines(self.body, max_line), start=1):
            if raw is not None and not raw.strip():
                continue
            parsed = self._parse(number, raw, max_line)
            if isinstance(parsed, dict):
                pending.append(parsed)
            else:
                parsed.provenance = {**self.provenance, "line": number}
                batch.append((number, parsed))
            # A run of bad lines is reported batch-sized too, so results keep flowing.
            if len(pending) + len(batch) >= settings.bulk_batch_size:
                yield self._report(pending + self._store(batch), through=number)
                pending, batch = [], []
        if pending or batch:
            yield self._report(pending + self._store(batch), through=number)

    def _store(self, batch: list[tuple[int, ArticleIn]]) -> list[Row]:
        if not batch:
            return []
        try:
            items = [item for _, item in batch]
            if self.wait:
                outcomes = articles.add_articles(self.archive, items=items)
            else:
                outcomes = articles.add_articles(self.archive, items=items, index="behind")
        except (InvalidArticle, WriteBusy) as exc:
            # This batch is not stored (one transaction); earlier ones are: report it per line.
            code = "busy" if isinstance(exc, WriteBusy) else "invalid_article"
            return [_error(number, code, str(exc)) for number, _ in batch]
        return [
            {"line": number, "status": o.status, "id": o.article.id}
            for (number, _), o in zip(batch, outcomes, strict=True)
        ]

    def _report(self, rows: list[Row], *, through: int) -> list[Row]:
        rows.sort(key=lambda r: r["line"])
        shown = []
        for r in rows:
            self.counts["lines"] += 1
            self.counts[r["status"]] += 1
            if "error" in r and len(self.failed) < MAX_ERRORS_KEPT:  # the count stays exact
                self.failed.append((f"line {r['line']}", r["error"]["message"]))
            if "error" in r and self.counts["error"] > MAX_ERROR_ROWS:
                self.omitted += 1
            else:
                shown.append(r)
        self.reported_through = through
        record_progress(
            self.archive,
            run_id=self.run_id,
            added=self.counts["added"],
            duplicates=self.counts["duplicate"],
            failed=self.counts["error"],
        )
        return shown

    def finish(self, status: str, *, fatal: str | None = None) -> None:
        """Record the run's outcome, once; later calls do nothing."""
        with self._finish_lock:
            if self._finished:
                return
            self._finished = True
        failed = ([("import", fatal)] if fatal else []) + self.failed
        try:
            finish_import(
                self.archive,
                run_id=self.run_id,
                status=status,
                files=0,
                failed_total=self.counts["error"] + bool(fatal),
                added=self.counts["added"],
                duplicates=self.counts["duplicate"],
                failed=failed,
            )
        except Exception:
            # The database may be what failed; the results still get their last line.
            log.exception("could not record the end of bulk import #%s", self.run_id)

    def close(self) -> None:
        """Once the caller is done: a run that did not reach its summary lost its client."""
        self.finish("interrupted")
        self.body.close()
