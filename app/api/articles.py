"""One article: read (with ETag / 304), create, replace, patch, delete."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from app.api.common import (
    READ_ERRORS,
    ArticleId,
    Fields,
    errors,
    json_response,
    parse_fields,
    pick,
)
from app.api.schemas import ArticleCreate, ArticleFull, ArticlePatch, ArticleUpdate, RelatedList
from app.http import present
from app.http.deps import ArchiveDep, ReadAuth, WriteDep
from app.http.errors import ApiError, validation_error
from app.http.etag import article_etag, last_modified, not_modified, precondition_failed
from app.http.urls import base_url
from app.ingest.dated_text import decode, parse_dated_text
from app.ingest.headline import derive_title, pick_lead
from app.ingest.record import ArticleIn
from app.models import Article
from app.services import articles
from app.services.articles import ArticleChanges, ArticleConflict
from app.services.related import related_articles
from app.textclean import split_paragraphs

M = TypeVar("M", bound=BaseModel)
router = APIRouter(prefix="/api/v1", tags=["articles"])

FULL_FIELDS = tuple(ArticleFull.model_fields)
WRITE_ERRORS = (401, 403, 413, 415, 422, 429, 503)

_DATED_TEXT_EXAMPLE = "date 2022-01-06\nsource CNN\n\nThe top US diplomat said…\n"


def _json_body(model: type[BaseModel], example: dict[str, Any]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": f"#/components/schemas/{model.__name__}"},
                    "example": example,
                }
            },
        }
    }


_CREATE_EXAMPLE = {
    "title": "Budget passes",
    "date": "2021-03-04",
    "body": "The budget passed on Thursday.",
    "source": "Example Times",
    "authors": ["Ann Lee"],
}
_CREATE_BODY = _json_body(ArticleCreate, _CREATE_EXAMPLE)
_CREATE_BODY["requestBody"]["content"]["text/plain"] = {
    "schema": {"type": "string"},
    "example": _DATED_TEXT_EXAMPLE,
}


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def item_from_json(data: ArticleCreate) -> ArticleIn:
    paragraphs = split_paragraphs(data.body)
    title = data.title.strip() if data.title else None  # blank counts as missing
    return ArticleIn(
        body=data.body,
        published=data.date,
        title=title or derive_title(pick_lead(paragraphs) or data.body),
        title_derived=not title,
        source=data.source.strip() or None if data.source else None,
        authors=data.authors,
        url=data.url,
        language=data.language.lower() if data.language else None,
        origin="api",
    )


def check_size(raw: bytes, max_bytes: int) -> None:
    """An article request over NEWSARCHIVE_MAX_ARTICLE_BYTES is refused before it is parsed
    (a 9 MB JSON article once took 13 s and slowed every reader meanwhile)."""
    if len(raw) > max_bytes:
        raise ApiError(
            413,
            f"an article request may be at most {max_bytes:,} bytes (NEWSARCHIVE_MAX_ARTICLE_"
            f"BYTES); this one is {len(raw):,}",
            code="too_large",
        )


def _item_from_request(raw: bytes, content_type: str, max_bytes: int) -> ArticleIn:
    check_size(raw, max_bytes)
    if content_type in ("text/plain", "text/markdown"):
        return parse_dated_text(decode(raw, max_bytes=max_bytes), origin="api")
    if content_type not in ("application/json", ""):
        raise ApiError(415, f"send application/json or text/plain, not {content_type}")
    try:
        return item_from_json(ArticleCreate.model_validate_json(raw))
    except ValidationError as exc:
        raise validation_error(exc.errors()) from None


def _parse_json(request_body: bytes, content_type: str, model: type[M]) -> M:
    if content_type not in ("application/json", ""):
        raise ApiError(415, f"send application/json, not {content_type}")
    try:
        return model.model_validate_json(request_body)
    except ValidationError as exc:
        raise validation_error(exc.errors()) from None


def _article_response(
    request: Request,
    article: Article,
    status_code: int = 200,
    fields: tuple[str, ...] | None = None,
) -> Response:
    body = pick(present.full(article, base_url(request)), fields)
    headers = {
        "ETag": article_etag(article, ",".join(fields or ())),
        "Last-Modified": last_modified(article),
    }
    if status_code == 201:
        headers["Location"] = present.links(article, base_url(request))["self"]
    return json_response(body, status_code=status_code, headers=headers)


@router.get(
    "/articles/{article_id}",
    response_model=ArticleFull,
    dependencies=[ReadAuth],
    responses={
        **errors(*READ_ERRORS, 404),
        304: {"description": "Not modified (If-None-Match / If-Modified-Since matched)"},
    },
)
def get_article(
    request: Request, archive: ArchiveDep, article_id: ArticleId, fields: Fields = None
) -> Any:
    """One article with its full text. Sends `ETag` and `Last-Modified`; answers 304 to a
    conditional GET whose copy is current."""
    selected = parse_fields(fields, FULL_FIELDS)
    article = articles.get_article(archive, article_id=article_id)
    etag = article_etag(article, ",".join(selected or ()))
    if not_modified(request, etag=etag, modified=article.updated_at):
        return Response(
            status_code=304, headers={"ETag": etag, "Last-Modified": last_modified(article)}
        )
    return _article_response(request, article, fields=selected)


@router.get(
    "/articles/{article_id}/related",
    response_model=RelatedList,
    dependencies=[ReadAuth],
    responses=errors(*READ_ERRORS, 404),
)
def get_related(
    request: Request,
    archive: ArchiveDep,
    article_id: ArticleId,
    limit: Annotated[int, Query(ge=1, le=50, description="How many (1-50)")] = 5,
) -> Any:
    """Articles most like this one (more-like-this over its most distinctive words)."""
    found = related_articles(archive, article_id=article_id, limit=limit)
    base = base_url(request)
    return json_response({"results": [present.summary(a, base) for a in found]})


def _duplicate(article: Article, base: str, message: str, code: str = "duplicate") -> ApiError:
    return ApiError(
        409,
        message,
        code=code,
        extra={"existing": {"id": article.id, "links": present.links(article, base)}},
    )


@router.post(
    "/articles",
    status_code=201,
    response_model=ArticleFull,
    openapi_extra=_CREATE_BODY,
    responses=errors(400, *WRITE_ERRORS, 409),
)
async def create_article(request: Request, archive: ArchiveDep, principal: WriteDep) -> Any:
    """Create one article from JSON or from a text/plain body in the dated-text format.
    Needs a write token: `Authorization: Bearer <token>`."""
    raw = await request.body()
    item = _item_from_request(raw, _content_type(request), archive.settings.max_article_bytes)
    # Writes block on the lock, SQLite and Whoosh: keep them off the event loop.
    outcome = await run_in_threadpool(articles.add_article, archive, item=item)
    if outcome.status == "duplicate":
        raise _duplicate(
            outcome.article,
            base_url(request),
            f"this article is already in the archive (id {outcome.article.id})",
        )
    return _article_response(request, outcome.article, status_code=201)


async def _update(
    request: Request, archive: Any, article_id: int, changes: ArticleChanges
) -> Response:
    if "if-match" in request.headers:
        # From the primary: the ETag must be the article's latest, not a replica's copy.
        current = await run_in_threadpool(
            articles.get_article, archive, article_id=article_id, primary=True
        )
        if precondition_failed(request, etag=article_etag(current)):
            raise ApiError(
                412,
                "the article changed since you read it (If-Match does not match its ETag)",
                code="precondition_failed",
            )
    try:
        article = await run_in_threadpool(
            articles.update_article, archive, article_id=article_id, changes=changes
        )
    except ArticleConflict as exc:
        raise _duplicate(exc.existing, base_url(request), str(exc), code="conflict") from None
    return _article_response(request, article)


_UPDATE_ERRORS = errors(400, *WRITE_ERRORS, 404, 409, 412)


@router.put(
    "/articles/{article_id}",
    response_model=ArticleFull,
    openapi_extra=_json_body(
        ArticleUpdate,
        {
            "title": "Budget passes after late vote",
            "date": "2021-03-04",
            "body": "The budget passed on Thursday after a late vote.",
            "source": "Example Times",
            "authors": ["Ann Lee", "Bo Chan"],
        },
    ),
    responses=_UPDATE_ERRORS,
)
async def replace_article(
    request: Request, archive: ArchiveDep, principal: WriteDep, article_id: ArticleId
) -> Any:
    """Replace an article (JSON, as for create; fields left out are emptied, a missing title
    is derived again). Re-indexed at once. `If-Match: <ETag>` guards against lost updates."""
    raw = await request.body()
    check_size(raw, archive.settings.max_article_bytes)
    data = _parse_json(raw, _content_type(request), ArticleUpdate)
    item = item_from_json(data)
    changes = ArticleChanges(
        title=item.title,
        title_derived=item.title_derived,
        body=item.body,
        published=item.published,
        source=item.source,
        authors=item.authors,
        url=item.url,
        language=item.language,
        clear=frozenset(
            name for name in ("source", "url", "language") if getattr(item, name) is None
        ),
    )
    return await _update(request, archive, article_id, changes)


@router.patch(
    "/articles/{article_id}",
    response_model=ArticleFull,
    openapi_extra=_json_body(ArticlePatch, {"title": "A corrected title"}),
    responses=_UPDATE_ERRORS,
)
async def patch_article(
    request: Request, archive: ArchiveDep, principal: WriteDep, article_id: ArticleId
) -> Any:
    """Change some fields of an article (JSON; `null` empties source, url, language or
    authors). Re-indexed at once. `If-Match: <ETag>` guards against lost updates."""
    raw = await request.body()
    check_size(raw, archive.settings.max_article_bytes)
    data = _parse_json(raw, _content_type(request), ArticlePatch)
    given = data.model_fields_set
    changes = ArticleChanges(
        title=data.title,
        body=data.body,
        published=data.date,
        source=data.source,
        authors=data.authors,
        url=data.url,
        language=data.language.lower() if data.language else None,
        clear=frozenset(
            n
            for n in ("source", "url", "language", "authors")
            if n in given and getattr(data, n) is None
        ),
    )
    if ("title" in given and data.title is None) or ("date" in given and data.date is None):
        raise ApiError(422, "title and date cannot be emptied", code="validation_error")
    if "body" in given and data.body is None:
        raise ApiError(422, "body cannot be emptied", code="validation_error")
    return await _update(request, archive, article_id, changes)


@router.delete(
    "/articles/{article_id}",
    status_code=204,
    responses=errors(400, 401, 403, 404, 429, 503),
)
def delete_article(archive: ArchiveDep, principal: WriteDep, article_id: ArticleId) -> Response:
    """Delete an article (from the database, then the index)."""
    articles.delete_article(archive, article_id=article_id)
    return Response(status_code=204)
