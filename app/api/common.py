"""What the API routes share: documented parameters, error responses, field selection."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from app.api.schemas import ErrorEnvelope
from app.services.searching import InvalidParameter

_ERROR_TEXT = {
    400: "Malformed query or parameter (`bad_query`, `bad_parameter`, `validation_error`)",
    401: "No bearer token, and this request needs one (`unauthorized`)",
    403: "Token not valid, read-only, or writes disabled "
    "(`invalid_token`, `insufficient_scope`, `writes_disabled`)",
    404: "No such article (`not_found`)",
    409: "Duplicate or conflicting article (`duplicate`, `conflict`)",
    412: "If-Match did not match the current ETag (`precondition_failed`)",
    413: "Request body too large (`too_large`)",
    415: "Unsupported Content-Type (`unsupported_media_type`)",
    422: "Invalid article (`validation_error`, `invalid_article`)",
    429: "Rate limit reached; see Retry-After (`rate_limited`)",
    503: "Search index or database unavailable, or writer busy (`search_unavailable`, "
    "`database_unavailable`, `busy`)",
}
_EXAMPLE_CODE = {
    400: "bad_parameter",
    401: "unauthorized",
    403: "invalid_token",
    404: "not_found",
    409: "duplicate",
    412: "precondition_failed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "search_unavailable",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Documented error responses, all in the error envelope."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        out[code] = {
            "model": ErrorEnvelope,
            "description": _ERROR_TEXT[code],
            "content": {
                "application/json": {
                    "example": {
                        "error": {"code": _EXAMPLE_CODE[code], "message": _ERROR_TEXT[code]}
                    }
                }
            },
        }
        if code == 429:
            out[code]["headers"] = {
                "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
            }
    return out


# Every read may need a token (a setting) and may meet a body limit or a busy index.
READ_ERRORS = (400, 401, 403)

Q = Annotated[
    str | None,
    Query(
        description='Query: words, "phrases", OR, NOT, -word, prefix*, '
        "title:/source:/author: terms",
        examples=['"Nord Stream 2"'],
    ),
]
From = Annotated[
    str | None, Query(alias="from", description="YYYY, YYYY-MM or YYYY-MM-DD", examples=["2022"])
]
FromDate = Annotated[str | None, Query(alias="from-date", description="Guardian alias of `from`")]
BeginDate = Annotated[
    str | None, Query(description="NYT alias of `from` (YYYYMMDD)", examples=["20220101"])
]
To = Annotated[
    str | None, Query(alias="to", description="YYYY, YYYY-MM or YYYY-MM-DD", examples=["2022-06"])
]
ToDate = Annotated[str | None, Query(alias="to-date", description="Guardian alias of `to`")]
EndDate = Annotated[str | None, Query(description="NYT alias of `to` (YYYYMMDD)")]
Source = Annotated[
    list[str] | None,
    Query(description="Source name; repeat or comma-separate", examples=[["CNN"]]),
]
Author = Annotated[list[str] | None, Query(description="Author or contributor name")]
Lang = Annotated[
    list[str] | None,
    Query(
        description="Language of the articles, ISO 639-1 (`de`; `de-AT` counts as `de`); "
        "repeat or comma-separate",
        examples=[["en"]],
    ),
]
Page = Annotated[int | None, Query(ge=1, description="Page number, from 1")]
# No fixed ceiling here: the one cap is settings.max_page_size (search_params checks it; the
# spec shows it as the maximum, see install_openapi).
PageSize = Annotated[int | None, Query(ge=1, description="Results per page")]
PageSizeAlias = Annotated[
    int | None, Query(alias="page-size", description="Guardian alias of `page_size`")
]
Cursor = Annotated[
    str | None,
    Query(description="The `next` value of the previous page (send the same filters with it)"),
]
Fields = Annotated[
    str | None,
    Query(
        description="Comma-separated fields to return for each article (default: all)",
        examples=["id,title,date"],
    ),
]


ArticleId = Annotated[int, Path(description="The article's id", examples=[1])]


def parse_fields(raw: str | None, allowed: tuple[str, ...]) -> tuple[str, ...] | None:
    """`fields=id,title` as a tuple; 400 naming the allowed fields for an unknown one."""
    if raw is None or not raw.strip():
        return None
    wanted = tuple(dict.fromkeys(f.strip() for f in raw.split(",") if f.strip()))
    unknown = [f for f in wanted if f not in allowed]
    if unknown or not wanted:
        raise InvalidParameter(
            "fields",
            f"unknown field {', '.join(map(repr, unknown))}; choose from {', '.join(allowed)}",
        )
    return wanted


def pick(obj: dict[str, Any], fields: tuple[str, ...] | None) -> dict[str, Any]:
    return obj if fields is None else {k: obj[k] for k in fields if k in obj}


def json_response(
    data: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(jsonable_encoder(data), status_code=status_code, headers=headers)
