"""Small helpers to make articles in tests."""

from __future__ import annotations

import datetime as dt

from app.archive import Archive
from app.ingest.record import ArticleIn
from app.models import Article
from app.services.articles import add_articles


def make_item(
    body: str,
    *,
    title: str = "A headline",
    date: str = "2022-01-06",
    source: str | None = None,
    authors: list[str] | None = None,
    url: str | None = None,
) -> ArticleIn:
    return ArticleIn(
        body=body,
        published=dt.date.fromisoformat(date),
        title=title,
        source=source,
        authors=authors or [],
        url=url,
    )


def add(archive: Archive, *items: ArticleIn) -> list[Article]:
    return [o.article for o in add_articles(archive, items=list(items))]
