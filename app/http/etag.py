"""Conditional GETs for articles: ETag and Last-Modified, 304 when the client's copy is current."""

from __future__ import annotations

import datetime as dt
import hashlib
from email.utils import format_datetime, parsedate_to_datetime

from starlette.requests import Request

from app.models import Article


def article_etag(article: Article, variant: str = "") -> str:
    """Changes whenever the stored article changes (body, metadata) or the representation does."""
    raw = f"{article.id}:{article.content_hash}:{article.updated_at.isoformat()}:{variant}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:24] + '"'


def last_modified(article: Article) -> str:
    return format_datetime(article.updated_at.replace(tzinfo=dt.UTC, microsecond=0), usegmt=True)


def _etags(header: str) -> set[str]:
    return {t.strip().removeprefix("W/") for t in header.split(",") if t.strip()}


def not_modified(request: Request, *, etag: str, modified: dt.datetime) -> bool:
    """RFC 9110: If-None-Match wins over If-Modified-Since."""
    inm = request.headers.get("if-none-match")
    if inm is not None:
        tags = _etags(inm)
        return "*" in tags or etag in tags
    ims = request.headers.get("if-modified-since")
    if ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError, IndexError, OverflowError):
            return False  # an unreadable date is ignored, as the RFC says
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        return modified.replace(tzinfo=dt.UTC, microsecond=0) <= since
    return False


def precondition_failed(request: Request, *, etag: str) -> bool:
    """If-Match on a write: true when the client's copy is out of date."""
    im = request.headers.get("if-match")
    if im is None:
        return False
    tags = _etags(im)
    return "*" not in tags and etag not in tags
