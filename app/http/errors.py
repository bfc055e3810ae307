"""Errors: JSON `{"error": {"code", "message"}}` under /api, a friendly HTML page elsewhere."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.archive import WriteBusy
from app.http.templating import render_error_page
from app.ingest.record import InvalidArticle
from app.search.base import IndexDamaged, SearchUnavailable
from app.search.query import QuerySyntaxError
from app.services.articles import ArticleNotFound
from app.services.searching import InvalidParameter
from app.services.storage import classify_write_error

log = logging.getLogger(__name__)

STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "duplicate",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
    507: "disk_full",
}


class ApiError(Exception):
    """An error with an HTTP status and a stable code, rendered by `render_error`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or STATUS_CODES.get(status, "error")
        self.message = message
        self.headers = headers
        self.extra = extra or {}


def unauthorized() -> ApiError:
    """The one 401: no usable bearer token where one is needed."""
    return ApiError(
        401,
        "this request needs an 'Authorization: Bearer <token>' header",
        code="unauthorized",
        headers={"WWW-Authenticate": "Bearer"},
    )


# Where FastAPI says a request value came from; a model validated by hand has no such prefix.
_LOCATIONS = frozenset({"query", "path", "header", "cookie", "body"})


def validation_error(problems: Sequence[Mapping[str, Any]], *, status: int = 422) -> ApiError:
    """One message and a `fields` list from pydantic's errors, for request parameters and for
    bodies the routes validate themselves alike."""
    fields = []
    for problem in problems:
        loc = [str(p) for p in problem["loc"]]
        where = loc[1:] if len(loc) > 1 and loc[0] in _LOCATIONS else loc
        fields.append({"field": ".".join(where) or "body", "message": problem["msg"]})
    message = "; ".join(f"{f['field']}: {f['message']}" for f in fields) or "invalid request"
    return ApiError(status, message, code="validation_error", extra={"fields": fields})


def error_json(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message, **extra}
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def render_error(request: Request, err: ApiError) -> Response:
    if _wants_json(request):
        return error_json(err.status, err.code, err.message, err.headers, **err.extra)
    return render_error_page(request, err.status, err.message, headers=err.headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        return render_error(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = {404: "There is no page at this address."}.get(exc.status_code, str(exc.detail))
        if exc.status_code == 404 and _wants_json(request):
            message = "no such resource"
        return render_error(
            request, ApiError(exc.status_code, message, headers=getattr(exc, "headers", None))
        )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        status = 422 if request.method in ("POST", "PUT", "PATCH") else 400
        return render_error(request, validation_error(exc.errors(), status=status))

    @app.exception_handler(QuerySyntaxError)
    async def query_error(request: Request, exc: QuerySyntaxError) -> Response:
        return render_error(request, ApiError(400, f"Malformed query: {exc}", code="bad_query"))

    @app.exception_handler(InvalidParameter)
    async def param_error(request: Request, exc: InvalidParameter) -> Response:
        return render_error(
            request, ApiError(400, str(exc), code="bad_parameter", extra={"param": exc.param})
        )

    @app.exception_handler(ArticleNotFound)
    async def not_found(request: Request, exc: ArticleNotFound) -> Response:
        return render_error(request, ApiError(404, f"no article with id {exc.args[0]}"))

    @app.exception_handler(InvalidArticle)
    async def invalid_article(request: Request, exc: InvalidArticle) -> Response:
        return render_error(request, ApiError(422, str(exc), code="invalid_article"))

    @app.exception_handler(SearchUnavailable)
    async def search_down(request: Request, exc: SearchUnavailable) -> Response:
        log.error("search unavailable: %s", exc)
        return render_error(request, ApiError(503, str(exc), code="search_unavailable"))

    @app.exception_handler(IndexDamaged)
    async def index_damaged(request: Request, exc: IndexDamaged) -> Response:
        log.error("search index damaged: %s", exc)
        return render_error(
            request, ApiError(503, str(exc), code="index_damaged", headers={"Retry-After": "60"})
        )

    @app.exception_handler(WriteBusy)
    async def busy(request: Request, exc: WriteBusy) -> Response:
        return render_error(
            request, ApiError(503, str(exc), code="busy", headers={"Retry-After": "5"})
        )

    # A full disk or a read-only folder or database: say so (507 / 503), not a bare 500.
    @app.exception_handler(DBAPIError)
    @app.exception_handler(OSError)
    async def storage_fault(request: Request, exc: Exception) -> Response:
        fault = classify_write_error(exc)
        if fault is None and isinstance(exc, OperationalError):
            return _database_down(request, exc)
        if fault is None:
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            return render_error(request, ApiError(500, "internal error; see the server log"))
        log.error("%s on %s %s: %s", fault.code, request.method, request.url.path, exc)
        return render_error(request, ApiError(fault.status, fault.message, code=fault.code))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return render_error(request, ApiError(500, "internal error; see the server log"))


def _database_down(request: Request, exc: OperationalError) -> Response:
    """The primary or the read replica refused or dropped the connection: say which server
    (the driver's first line names host and port), not "internal error"."""
    first = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else "no answer"
    log.error("database unavailable on %s %s: %s", request.method, request.url.path, first)
    return render_error(
        request,
        ApiError(
            503,
            f"the database is unavailable: {first}",
            code="database_unavailable",
            headers={"Retry-After": "5"},
        ),
    )
