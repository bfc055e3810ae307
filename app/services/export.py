"""`newsarchive export`: the whole archive as NDJSON, everything needed to rebuild it losslessly
on either backend (`newsarchive import` recognises the format and restores ids and timestamps)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import IO, Any

from sqlalchemy import select

from app.archive import Archive
from app.ingest.export_reader import FORMAT, VERSION
from app.models import Article


def article_record(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title,
        "title_derived": article.title_derived,
        "published": article.published.isoformat(),
        "source": article.source,
        "authors": article.authors,
        "contributors": article.contributors,
        "url": article.url,
        "language": article.language,
        "origin": article.origin,
        "extra": article.extra,
        "provenance": article.provenance,
        "content_hash": article.content_hash,
        "created_at": article.created_at.isoformat(),
        "updated_at": article.updated_at.isoformat(),
        "body": article.body,
    }


def iter_articles(archive: Archive, batch_size: int = 500) -> Iterator[Article]:
    """Every article in id order, a batch at a time (flat memory)."""
    last = 0
    while True:
        with archive.sessions() as session:
            batch = list(
                session.scalars(
                    select(Article).where(Article.id > last).order_by(Article.id).limit(batch_size)
                )
            )
        if not batch:
            return
        yield from batch
        last = batch[-1].id


def export_ndjson(
    archive: Archive, out: IO[str], *, on_progress: Callable[[int], None] | None = None
) -> int:
    """Write the header line and one line per article. Returns the number of articles."""
    header = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    out.write(json.dumps(header) + "\n")
    count = 0
    for article in iter_articles(archive):
        out.write(json.dumps(article_record(article), ensure_ascii=False) + "\n")
        count += 1
        if on_progress and count % 500 == 0:
            on_progress(500)
    if on_progress:
        on_progress(count % 500)
    return count
