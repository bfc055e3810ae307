"""Request dependencies shared by the pages and the API."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from app.archive import Archive
from app.errors import ApiError


def get_archive(request: Request) -> Archive:
    return request.app.state.archive


ArchiveDep = Annotated[Archive, Depends(get_archive)]


def require_write_token(request: Request, archive: ArchiveDep) -> None:
    """Every write needs `Authorization: Bearer <NEWSARCHIVE_API_TOKEN>`."""
    configured = archive.settings.api_token
    if configured is None or not configured.get_secret_value():
        raise ApiError(
            403,
            "writes are disabled: no API token is configured on the server "
            "(set NEWSARCHIVE_API_TOKEN)",
            code="writes_disabled",
        )
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "this request needs an 'Authorization: Bearer <token>' header",
            code="unauthorized",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not hmac.compare_digest(token.strip().encode(), configured.get_secret_value().encode()):
        raise ApiError(403, "the token is not valid", code="invalid_token")


WriteAuth = Depends(require_write_token)
