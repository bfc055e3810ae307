"""The JSON API under /api/v1: thin routes over the article and search services."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from app import articles, present
from app.articles import ArticleFilters
from app.deps import ArchiveDep, WriteAuth
from app.errors import ApiError
from app.ingest.dated_text import decode, parse_dated_text
from app.ingest.headline import derive_title, pick_lead
from app.ingest.record import ArticleIn
from app.params import QueryArgs, search_params
from app.schemas import (
    ArticleCreate,
    ArticleFull,
    ArticleList,
    ErrorEnvelope,
    Health,
    SearchResponse,
)
from app.searching import search_articles
from app.stats import health
from app.textclean import split_paragraphs

router = APIRouter(prefix="/api/v1", tags=["api"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorEnvelope, "description": "Malformed query or parameter"},
}
Q = Annotated[
    str | None,
    Query(
        description='Query: words, "phrases", OR, NOT, -word, prefix*, title:/source:/author: terms'
    ),
]
From = Annotated[
    str | None,
    Query(
        alias="from",
        description="YYYY, YYYY-MM or YYYY-MM-DD (also from-date, begin_date=YYYYMMDD)",
    ),
]
To = Annotated[
    str | None,
    Query(alias="to", description="YYYY, YYYY-MM or YYYY-MM-DD (also to-date, end_date)"),
]
Source = Annotated[list[str] | None, Query(description="Source name; repeat or comma-separate")]
Author = Annotated[list[str] | None, Query(description="Author or contributor name")]
Page = Annotated[int | None, Query(ge=1, description="Page number, from 1")]
PageSize = Annotated[
    int | None, Query(ge=1, le=200, description="Results per page (also page-size)")
]


def _base(request: Request) -> str:
    return request.app.state.settings.base_url.rstrip("/")


@router.get("/search", response_model=SearchResponse, responses=ERRORS)
def search(
    request: Request,
    archive: ArchiveDep,
    q: Q = None,
    from_: From = None,
    to: To = None,
    source: Source = None,
    author: Author = None,
    sort: Annotated[
        str | None, Query(description="relevance, newest or oldest (also order-by)")
    ] = None,
    page: Page = None,
    page_size: PageSize = None,
) -> Any:
    """Search articles; `total` is exact."""
    params = search_params(QueryArgs(list(request.query_params.multi_items())), archive.settings)
    result = search_articles(archive, params=params)
    return JSONResponse(jsonable_encoder(present.search_response(result, _base(request))))


@router.get("/articles", response_model=ArticleList, responses=ERRORS)
def list_articles(
    request: Request,
    archive: ArchiveDep,
    from_: From = None,
    to: To = None,
    source: Source = None,
    author: Author = None,
    page: Page = None,
    page_size: PageSize = None,
) -> Any:
    """Articles newest first, with the same filters and paging as search."""
    params = search_params(QueryArgs(list(request.query_params.multi_items())), archive.settings)
    filters = ArticleFilters(params.date_from, params.date_to, params.sources, params.authors)
    rows, total = articles.list_articles(
        archive,
        filters=filters,
        offset=(params.page - 1) * params.page_size,
        limit=params.page_size,
        oldest_first=params.sort == "oldest",
    )
    base = _base(request)
    return JSONResponse(
        jsonable_encoder(
            {
                "total": total,
                "page": params.page,
                "page_size": params.page_size,
                "pages": -(-total // params.page_size),
                "results": [present.summary(a, base) for a in rows],
            }
        )
    )


@router.get(
    "/articles/{article_id}", response_model=ArticleFull, responses={404: {"model": ErrorEnvelope}}
)
def get_article(request: Request, archive: ArchiveDep, article_id: int) -> Any:
    """One article with its full text."""
    article = articles.get_article(archive, article_id=article_id)
    return JSONResponse(jsonable_encoder(present.full(article, _base(request))))


_CREATE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ArticleCreate"}},
            "text/plain": {
                "schema": {"type": "string"},
                "example": " date 2022-01-06\n\nThe top US diplomat said…\n",
            },
        },
    }
}


def _item_from_request(raw: bytes, content_type: str, max_bytes: int) -> ArticleIn:
    if content_type in ("text/plain", "text/markdown"):
        return parse_dated_text(decode(raw, max_bytes=max_bytes), origin="api")
    if content_type not in ("application/json", ""):
        raise ApiError(415, f"send application/json or text/plain, not {content_type}")
    try:
        data = ArticleCreate.model_validate_json(raw)
    except ValidationError as exc:
        fields = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]}
            for e in exc.errors()
        ]
        message = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
        raise ApiError(422, message, code="validation_error", extra={"fields": fields}) from None
    paragraphs = split_paragraphs(data.body)
    return ArticleIn(
        body=data.body,
        published=data.date,
        title=data.title or derive_title(pick_lead(paragraphs) or data.body),
        title_derived=not data.title,
        source=data.source,
        authors=data.authors,
        url=data.url,
        language=data.language.lower() if data.language else None,
        origin="api",
    )


@router.post(
    "/articles",
    status_code=201,
    response_model=ArticleFull,
    openapi_extra=_CREATE_BODY,
    responses={
        401: {"model": ErrorEnvelope},
        403: {"model": ErrorEnvelope},
        409: {"model": ErrorEnvelope},
        413: {"model": ErrorEnvelope},
        415: {"model": ErrorEnvelope},
        422: {"model": ErrorEnvelope},
    },
    dependencies=[WriteAuth],
)
async def create_article(request: Request, archive: ArchiveDep) -> Any:
    """Create one article from JSON or from a text/plain body in the dated-text format.
    Needs `Authorization: Bearer <token>`."""
    from starlette.concurrency import run_in_threadpool

    raw = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    item = _item_from_request(raw, content_type, archive.settings.max_article_bytes)
    # Writes block on the lock, SQLite and Whoosh: keep them off the event loop.
    outcome = await run_in_threadpool(articles.add_article, archive, item=item)
    base = _base(request)
    if outcome.status == "duplicate":
        raise ApiError(
            409,
            f"this article is already in the archive (id {outcome.article.id})",
            code="duplicate",
            extra={
                "existing": {
                    "id": outcome.article.id,
                    "links": present.links(outcome.article, base),
                }
            },
        )
    body = jsonable_encoder(present.full(outcome.article, base))
    return JSONResponse(body, status_code=201, headers={"Location": body["links"]["self"]})


@router.delete(
    "/articles/{article_id}",
    status_code=204,
    dependencies=[WriteAuth],
    responses={
        401: {"model": ErrorEnvelope},
        403: {"model": ErrorEnvelope},
        404: {"model": ErrorEnvelope},
    },
)
def delete_article(archive: ArchiveDep, article_id: int) -> Response:
    """Delete an article (from the database, then the index)."""
    articles.delete_article(archive, article_id=article_id)
    return Response(status_code=204)


@router.get("/health", response_model=Health)
def get_health(archive: ArchiveDep) -> Any:
    """Status, article count, index document count, and whether they agree."""
    data = health(archive)
    return JSONResponse(data, status_code=200)
