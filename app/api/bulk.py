"""Bulk create from NDJSON: one article per line, read as a stream and stored in batches."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from app import articles
from app.api.articles import item_from_json, validation_error
from app.api.common import errors
from app.archive import Archive, WriteBusy
from app.deps import ArchiveDep, WriteDep
from app.errors import ApiError
from app.imports import finish_import, start_import
from app.ingest.record import ArticleIn, InvalidArticle
from app.limits import BodyTooLarge
from app.models import utcnow
from app.schemas import ArticleCreate

router = APIRouter(prefix="/api/v1", tags=["articles"])

NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")
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
        "description": "One JSON object per input line (`line`, `status` added/duplicate/error, "
        "`id` or `error`), then a `summary` line. Lines fail one by one; the rest are stored.",
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


async def _lines(chunks: AsyncIterator[bytes], max_line: int) -> AsyncIterator[bytes | None]:
    """Lines of the body; None for a line longer than `max_line` (it is skipped, not buffered)."""
    buffer = b""
    skipping = False
    async for chunk in chunks:
        buffer += chunk
        while True:
            cut = buffer.find(b"\n")
            if cut < 0:
                break
            line, buffer = buffer[:cut], buffer[cut + 1 :]
            if skipping:
                skipping = False
                yield None
            else:
                yield line
        if len(buffer) > max_line and not skipping:
            skipping, buffer = True, b""
        elif skipping:
            buffer = b""
    if skipping:
        yield None
    elif buffer.strip():
        yield buffer


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
        err = validation_error(exc)
        return _error(number, err.code, err.message)
    except InvalidArticle as exc:
        return _error(number, "invalid_article", str(exc))


def _store(archive: Archive, batch: list[tuple[int, ArticleIn]]) -> list[dict[str, Any]]:
    try:
        outcomes = articles.add_articles(archive, items=[item for _, item in batch])
    except (InvalidArticle, WriteBusy) as exc:
        # This batch is not stored (one transaction); earlier ones are: report it per line.
        code = "busy" if isinstance(exc, WriteBusy) else "invalid_article"
        return [_error(number, code, str(exc)) for number, _ in batch]
    return [
        {"line": number, "status": o.status, "id": o.article.id}
        for (number, _), o in zip(batch, outcomes, strict=True)
    ]


@router.post(
    "/articles/bulk",
    openapi_extra=_BODY,
    responses={**_RESPONSE, **errors(401, 403, 413, 415, 429, 503)},  # type: ignore[dict-item]
    response_class=Response,
)
async def bulk_create(request: Request, archive: ArchiveDep, principal: WriteDep) -> Response:
    """Create many articles from NDJSON (one ArticleCreate JSON object per line). The body is
    read as a stream and stored `NEWSARCHIVE_BULK_BATCH_SIZE` lines per transaction; its size
    limit is `NEWSARCHIVE_MAX_BULK_BYTES`. Counts as one write for the rate limit."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in NDJSON_TYPES:
        raise ApiError(
            415, f"send {NDJSON_TYPES[0]} (one JSON object per line), not {content_type}"
        )
    settings = archive.settings
    max_line = settings.max_article_bytes * 2  # JSON escapes can double a body
    # Each request is one run in the import history (`newsarchive imports`, /imports).
    run_id = await run_in_threadpool(
        start_import, archive, sources=[f"POST /api/v1/articles/bulk ({principal.name})"], via="api"
    )
    provenance = {
        "via": "api",
        "token": principal.name,
        "import_id": run_id,
        "imported_at": utcnow().isoformat(timespec="seconds"),
    }
    results: list[dict[str, Any]] = []
    batch: list[tuple[int, ArticleIn]] = []
    number = 0
    try:
        async for raw in _lines(request.stream(), max_line):
            number += 1
            if raw is not None and not raw.strip():
                continue
            parsed = _parse(number, raw, max_line)
            if isinstance(parsed, dict):
                results.append(parsed)
                continue
            parsed.provenance = {**provenance, "line": number}
            batch.append((number, parsed))
            if len(batch) >= settings.bulk_batch_size:
                results += await run_in_threadpool(_store, archive, batch)
                batch = []
    except BodyTooLarge:
        # Lines before the limit are stored; say where it stopped.
        results.append(
            _error(number + 1, "too_large", f"body larger than {settings.max_bulk_bytes:,} bytes")
        )
    if batch:
        results += await run_in_threadpool(_store, archive, batch)
    results.sort(key=lambda r: r["line"])
    counts = {"lines": len(results), "added": 0, "duplicate": 0, "error": 0}
    for r in results:
        counts[r["status"]] += 1
    await run_in_threadpool(
        partial(
            finish_import,
            archive,
            run_id=run_id,
            status="failed" if counts["error"] else "done",
            files=0,
            added=counts["added"],
            duplicates=counts["duplicate"],
            failed=[(f"line {r['line']}", r["error"]["message"]) for r in results if "error" in r],
        )
    )
    out = "".join(json.dumps(r) + "\n" for r in [*results, {"summary": counts}])
    return Response(out, media_type="application/x-ndjson")
