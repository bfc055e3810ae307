"""Bulk create from NDJSON: one article per line, stored in batches; each batch's per-line
results are streamed back as soon as that batch is stored and indexed."""

from __future__ import annotations

import json
import logging
import tempfile
import threading
from collections.abc import Iterator
from typing import IO, Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from app.api.articles import item_from_json
from app.api.common import errors
from app.api.schemas import ArticleCreate
from app.archive import Archive, WriteBusy
from app.http.deps import ArchiveDep, WriteDep
from app.http.errors import ApiError, validation_error
from app.http.limits import BodyTooLarge
from app.ingest.record import ArticleIn, InvalidArticle
from app.models import utcnow
from app.services import articles
from app.services.imports import MAX_ERRORS_KEPT, finish_import, record_progress, start_import

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["articles"])

NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")
SPOOL_IN_MEMORY = 8 * 1024 * 1024  # bodies up to this stay in memory; bigger ones go to disk
_EXAMPLE = (
    '{"date": "2021-03-04", "title": "Budget passes", "body": "The budget passed."}\n'
    '{"date": "2021-03-05", "body": "Markets rose after the vote."}\n'
)
_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            t: {
                "schema": {"type": "string", "description": "NDJSON: one ArticleCreate per line"},
                "example": _EXAMPLE,
            }
            for t in NDJSON_TYPES
        },
    }
}
_RESPONSE = {
    200: {
        "description": "Streamed NDJSON: one JSON object per input line (`line`, `status` "
        "added/duplicate/error, `id` or `error`), sent batch by batch as each batch is stored "
        "and indexed, in line order; then a `summary` line. Lines fail one by one; the rest are "
        "stored. Should the archive fail after the response has started, the last line carries "
        "an `error` next to the `summary` and the lines after the last reported one have no "
        "result; a stream without a `summary` line was cut off.",
        "content": {
            "application/x-ndjson": {
                "schema": {"$ref": "#/components/schemas/BulkLine"},
                "example": '{"line": 1, "status": "added", "id": 12}\n'
                '{"line": 2, "status": "error", "error": {"code": "validation_error", '
                '"message": "date: Field required"}}\n'
                '{"summary": {"lines": 2, "added": 1, "duplicate": 0, "error": 1}}\n',
            }
        },
    }
}


def _lines(body: IO[bytes], max_line: int) -> Iterator[bytes | None]:
    """Lines of the body; None for a line longer than `max_line` (skipped, never held whole)."""
    while line := body.readline(max_line + 1):
        if len(line) > max_line and not line.endswith(b"\n"):
            while (rest := body.readline(max_line + 1)) and not rest.endswith(b"\n"):
                pass
            yield None
        else:
            yield line.rstrip(b"\r\n")


def _error(line: int, code: str, message: str) -> dict[str, Any]:
    return {"line": line, "status": "error", "error": {"code": code, "message": message}}


def _parse(number: int, raw: bytes | None, max_line: int) -> ArticleIn | dict[str, Any]:
    if raw is None:
        return _error(number, "too_large", f"line longer than {max_line:,} bytes")
    try:
        item = item_from_json(ArticleCreate.model_validate_json(raw))
        articles.validate(item)
        return item
    except ValidationError as exc:
        err = validation_error(exc.errors())
        return _error(number, err.code, err.message)
    except InvalidArticle as exc:
        return _error(number, "invalid_article", str(exc))


def _ndjson(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


class BulkRun:
    """One bulk request after its body has arrived: read batch by batch from the received body,
    stored, counted, and finished exactly once in the import history however the stream ends
    (completed, failed, or the client gone)."""

    def __init__(
        self, archive: Archive, *, body: IO[bytes], run_id: int, provenance: dict[str, Any]
    ) -> None:
        self.archive = archive
        self.body = body
        self.run_id = run_id
        self.provenance = provenance
        self.counts = {"lines": 0, "added": 0, "duplicate": 0, "error": 0}
        self.failed: list[tuple[str, str]] = []
        self.reported_through = 0  # the last line whose result has been produced
        self._finished = False
        self._finish_lock = threading.Lock()

    def stream(self) -> Iterator[bytes]:
        """Each batch's per-line results once it is stored, then the summary line. Runs in a
        worker thread (StreamingResponse iterates a plain iterator in the threadpool)."""
        try:
            for rows in self._batches():
                yield _ndjson(rows)
        except Exception as exc:
            # The 200 header is gone: say what happened in the stream and in the history.
            log.exception(
                "bulk import #%s failed after line %s", self.run_id, self.reported_through
            )
            message = (
                f"the import stopped after line {self.reported_through} "
                f"({type(exc).__name__}; see the server log): later lines have no result. "
                "Send them again; lines already stored are recognised as duplicates."
            )
            self.finish("failed", fatal=message)
            yield _ndjson(
                [{"error": {"code": "internal_error", "message": message}, "summary": self.counts}]
            )
            return
        self.finish("failed" if self.counts["error"] else "done")
        yield _ndjson([{"summary": self.counts}])

    def _batches(self) -> Iterator[list[dict[str, Any]]]:
        settings = self.archive.settings
        max_line = settings.max_article_bytes * 2  # JSON escapes can double a body
        pending: list[dict[str, Any]] = []  # results of lines since the last report
        batch: list[tuple[int, ArticleIn]] = []
        number = 0
        for number, raw in enumerate(_lines(self.body, max_line), start=1):
            if raw is not None and not raw.strip():
                continue
            parsed = _parse(number, raw, max_line)
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

    def _store(self, batch: list[tuple[int, ArticleIn]]) -> list[dict[str, Any]]:
        if not batch:
            return []
        try:
            outcomes = articles.add_articles(self.archive, items=[item for _, item in batch])
        except (InvalidArticle, WriteBusy) as exc:
            # This batch is not stored (one transaction); earlier ones are: report it per line.
            code = "busy" if isinstance(exc, WriteBusy) else "invalid_article"
            return [_error(number, code, str(exc)) for number, _ in batch]
        return [
            {"line": number, "status": o.status, "id": o.article.id}
            for (number, _), o in zip(batch, outcomes, strict=True)
        ]

    def _report(self, rows: list[dict[str, Any]], *, through: int) -> list[dict[str, Any]]:
        rows.sort(key=lambda r: r["line"])
        for r in rows:
            self.counts["lines"] += 1
            self.counts[r["status"]] += 1
            if "error" in r and len(self.failed) < MAX_ERRORS_KEPT:  # the count stays exact
                self.failed.append((f"line {r['line']}", r["error"]["message"]))
        self.reported_through = through
        record_progress(
            self.archive,
            run_id=self.run_id,
            added=self.counts["added"],
            duplicates=self.counts["duplicate"],
            failed=self.counts["error"],
        )
        return rows

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
            # The database may be what failed; the stream still gets its last line.
            log.exception("could not record the end of bulk import #%s", self.run_id)

    def close(self) -> None:
        """After the response: a run that did not reach its summary lost its client."""
        self.finish("interrupted")
        self.body.close()


class BulkResponse(StreamingResponse):
    """Streams a BulkRun and closes it whatever happens to the connection."""

    def __init__(self, run: BulkRun) -> None:
        super().__init__(run.stream(), media_type="application/x-ndjson")
        self.run = run

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # Shielded: a disconnect or shutdown cancels this task, yet the run must be recorded.
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(self.run.close)


WRITE_EVERY = 1 << 20


async def _receive(request: Request, body: IO[bytes], max_bytes: int) -> None:
    """The whole body, before any answer. Clients such as httpx and requests send all of it
    before reading a byte of the response, so answering while it still arrives can fill both
    sides' buffers and stall; and the oversized body gets a plain 413."""
    pending = bytearray()  # written out a mebibyte at a time, not one thread hop per chunk
    try:
        async for chunk in request.stream():
            pending += chunk
            if len(pending) >= WRITE_EVERY:
                await run_in_threadpool(body.write, bytes(pending))
                pending.clear()
        await run_in_threadpool(body.write, bytes(pending))
    except BodyTooLarge:
        raise ApiError(413, f"request body larger than {max_bytes:,} bytes") from None
    except ClientDisconnect:
        raise ApiError(400, "the client went away before the body was complete") from None
    body.seek(0)


@router.post(
    "/articles/bulk",
    openapi_extra=_BODY,
    responses={**_RESPONSE, **errors(401, 403, 413, 415, 429, 503)},  # type: ignore[dict-item]
    response_class=StreamingResponse,
)
async def bulk_create(request: Request, archive: ArchiveDep, principal: WriteDep) -> BulkResponse:
    """Create many articles from NDJSON (one ArticleCreate JSON object per line). The body,
    up to `NEWSARCHIVE_MAX_BULK_BYTES`, is received first; then its lines are stored
    `NEWSARCHIVE_BULK_BATCH_SIZE` per transaction and each batch's results are streamed back as
    soon as it is stored and indexed. Counts as one write for the rate limit."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in NDJSON_TYPES:
        raise ApiError(
            415, f"send {NDJSON_TYPES[0]} (one JSON object per line), not {content_type}"
        )
    settings = archive.settings
    # Closed by the response once streamed (or below, when no response comes of it).
    body = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, dir=str(settings.data_dir))  # noqa: SIM115
    try:
        await _receive(request, body, settings.max_bulk_bytes)
        # Each request is one run in the import history (`newsarchive imports`, /imports).
        run_id = await run_in_threadpool(
            start_import,
            archive,
            sources=[f"POST /api/v1/articles/bulk ({principal.name})"],
            via="api",
        )
    except BaseException:
        body.close()
        raise
    provenance = {
        "via": "api",
        "token": principal.name,
        "import_id": run_id,
        "imported_at": utcnow().isoformat(timespec="seconds"),
    }
    return BulkResponse(BulkRun(archive, body=body, run_id=run_id, provenance=provenance))
