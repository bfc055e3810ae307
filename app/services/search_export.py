"""A whole result set, streamed: NDJSON or CSV, no result cap, articles loaded in batches."""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Iterator
from typing import Any

from app.archive import Archive
from app.models import Article
from app.search.base import SearchRequest
from app.search.stopwords import parse_search
from app.services.articles import get_articles
from app.services.csv_cells import SafeWriter
from app.services.searching import SearchParams

FORMATS = ("ndjson", "csv")
BATCH = 500
CSV_COLUMNS = (
    "id",
    "date",
    "title",
    "source",
    "authors",
    "contributors",
    "url",
    "word_count",
    "language",
    "body",
    "story_id",  # copies of one story share it (app.services.stories): count stories, not copies
)


def export_ids(archive: Archive, *, params: SearchParams) -> list[int]:
    """Every matching id in the search's order (validates the query first, so errors come
    before any output). Ids only: the articles are read batch by batch while streaming."""
    params.check_dates()
    request = SearchRequest(
        query=parse_search(params.q),
        filters=params.filters,
        sort=params.sort,
        offset=0,
        limit=1,
    )
    total = archive.search.search(request).total
    if total == 0:
        return []
    return archive.search.search(dataclasses.replace(request, limit=total)).ids


def iter_articles(archive: Archive, *, ids: list[int]) -> Iterator[Article]:
    """The articles of `ids` in order, BATCH at a time (ones deleted meanwhile are skipped)."""
    for start in range(0, len(ids), BATCH):
        yield from get_articles(archive, ids=ids[start : start + BATCH])


def record(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "date": article.published.isoformat(),
        "title": article.title,
        "source": article.source,
        "authors": article.authors,
        "contributors": article.contributors,
        "url": article.url,
        "word_count": article.word_count,
        "language": article.language,
        "body": article.body,
        "story_id": article.story_id,
    }


def ndjson_lines(archive: Archive, *, ids: list[int]) -> Iterator[str]:
    for article in iter_articles(archive, ids=ids):
        yield json.dumps(record(article), ensure_ascii=False) + "\n"


def csv_lines(archive: Archive, *, ids: list[int]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(CSV_COLUMNS)
    for article in iter_articles(archive, ids=ids):
        row = record(article)
        row["authors"] = "; ".join(row["authors"])
        row["contributors"] = "; ".join(row["contributors"])
        writer.writerow([row[c] if row[c] is not None else "" for c in CSV_COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
