"""Bulk create from NDJSON: the route receives the body and streams back each batch's per-line
results as the import (app.services.bulk_import) stores them."""

from __future__ import annotations

import json
import tempfile
from typing import IO, Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from app.api.articles import item_from_json
from app.api.common import errors
from app.api.schemas import ArticleCreate
from app.http.deps import ArchiveDep, WriteDep
from app.http.errors import ApiError, validation_error
from app.http.limits import BodyTooLarge
from app.ingest.record import ArticleIn
from app.models import utcnow
from app.services.bulk_import import BulkRun, LineRejected
from app.services.imports import start_import

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


def _parse(raw: bytes) -> ArticleIn:
    """One line as an ArticleCreate, the same record POST /api/v1/articles makes of it."""
    try:
        return item_from_json(ArticleCreate.model_validate_json(raw))
    except ValidationError as exc:
        err = validation_error(exc.errors())
        raise LineRejected(err.code, err.message) from None


def _ndjson(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


class BulkResponse(StreamingResponse):
    """Streams a BulkRun and closes it whatever happens to the connection."""

    def __init__(self, run: BulkRun) -> None:
        # A plain iterator: StreamingResponse runs it in the threadpool, where storing may block.
        batches = (_ndjson(rows) for rows in run.results())
        super().__init__(batches, media_type="application/x-ndjson")
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
    responses={**_RESPONSE, **errors(401, 403, 413, 415, 422, 429, 503)},  # type: ignore[dict-item]
    response_class=StreamingResponse,
)
async def bulk_create(
    request: Request,
    archive: ArchiveDep,
    principal: WriteDep,
    wait: Annotated[
        bool,
        Query(
            description="true (the default): each batch is indexed before its results are sent, "
            "so the articles are searchable when the summary arrives. false: the rows are "
            "stored and the answer comes at once; the server indexes them behind, and the "
            "summary line's `index` says whether they are searchable yet and how many index "
            "updates are pending (`/api/v1/health` shows the lag)."
        ),
    ] = True,
) -> BulkResponse:
    """Create many articles from NDJSON (one ArticleCreate JSON object per line). The body,
    up to `NEWSARCHIVE_MAX_BULK_BYTES`, is received first; then its lines are stored
    `NEWSARCHIVE_BULK_BATCH_SIZE` per transaction and each batch's results are streamed back as
    soon as it is stored and indexed (with `wait=false`, as soon as it is stored). Counts as
    one write for the rate limit."""
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
    return BulkResponse(
        BulkRun(archive, body=body, run_id=run_id, provenance=provenance, parse=_parse, wait=wait)
    )
