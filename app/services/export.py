"""`newsarchive export`: the whole archive as NDJSON, everything needed to rebuild it losslessly
on either backend (`newsarchive import` recognises the format and restores ids and timestamps)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

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
        # Derived (recomputed on import), kept so an export can be counted by story.
        "story_id": article.story_id,
        "body": article.body,
    }


@contextmanager
def snapshot(archive: Archive) -> Iterator[Session]:
    """A session reading one snapshot of the database from start to end (one read
    transaction), so writers going on meanwhile change nothing it reads."""
    with archive.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        else:
            # pysqlite opens no transaction for reads: open one, so WAL keeps one snapshot.
            conn.exec_driver_sql("BEGIN")
        try:
            with Session(bind=conn) as session:
                yield session
        finally:
            conn.rollback()


def iter_articles(archive: Archive, batch_size: int = 500) -> Iterator[list[Article]]:
    """Every article in id order, a batch at a time (flat memory), all from one snapshot."""
    last = 0
    with snapshot(archive) as session:
        while True:
            batch = list(
                session.scalars(
                    select(Article).where(Article.id > last).order_by(Article.id).limit(batch_size)
                )
            )
            if not batch:
                return
            yield batch
            last = batch[-1].id
            session.expunge_all()


def export_ndjson(
    archive: Archive,
    out: IO[str],
    *,
    on_progress: Callable[[int], None] | None = None,
    batch_size: int = 500,
) -> int:
    """Write the header line and one line per article, every article as it was at one
    instant (one read transaction). Returns the number of articles."""
    header = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    out.write(json.dumps(header) + "\n")
    count = 0
    for batch in iter_articles(archive, batch_size):
        for article in batch:
            out.write(json.dumps(article_record(article), ensure_ascii=False) + "\n")
        count += len(batch)
        if on_progress:
            on_progress(len(batch))
    return count
