"""PostgreSQL bulk insert: a batch is COPYed into a temporary staging table and moved into
`articles` by one `INSERT ... SELECT ... ON CONFLICT DO NOTHING`, its people by one more COPY.

The per-row path flushes each article and each of its people through the ORM's unit of work;
here a batch is three statements whatever its size. (What remains is mostly the server's: the
generated tsvector columns, their GIN indexes and the statistics trigger; docs/scaling.md.) The
statistics triggers of migration e3a91c5d7b20 are statement-level, so the one INSERT updates
`search_terms` and `search_totals` once per batch, for exactly the rows it inserted. The rows
carry their story ids (decided before the COPY, with ids from `allocate_ids`), so no row is
written twice (docs/scaling.md measured the UPDATE that did so).

Duplicates are recognised as before: a record whose content hash or URL is already stored, or
appears earlier in the same batch, is reported as a duplicate of that article and not inserted.
`ON CONFLICT DO NOTHING` covers the rest (a row a concurrent writer committed after the check):
such a row is reported as a duplicate of whatever now holds its hash or URL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session

from app.ingest.record import InvalidArticle
from app.models import Article, IndexOutbox

# Column order of the staging table, the COPY and the INSERT ... SELECT.
ARTICLE_COLUMNS = (
    "title",
    "title_derived",
    "body",
    "published",
    "source",
    "url",
    "language",
    "word_count",
    "content_hash",
    "origin",
    "extra",
    "provenance",
    "created_at",
    "updated_at",
    "story_id",
    "story_signature",
)
# ON COMMIT DELETE ROWS: the table lives as long as the pooled connection and is empty at the
# start of every transaction, so each batch creates it at most once per connection.
_STAGE = """CREATE TEMP TABLE IF NOT EXISTS na_import_stage (
    ord integer NOT NULL, id integer, title text, title_derived boolean, body text,
    published date, source text, url text, language text, word_count integer,
    content_hash text, origin text, extra json, provenance json,
    created_at timestamp, updated_at timestamp, story_id integer, story_signature bytea)
    ON COMMIT DELETE ROWS"""
_COLUMNS = ", ".join(ARTICLE_COLUMNS)
# Ids given by the caller (a restored export) are kept; the rest come from the sequence. No
# NOT EXISTS against `articles` here: the caller has already set aside what is stored, and
# the planner, with no statistics on the temporary table, chose a hash anti-join that read the
# whole table once per batch (an import slowing down as the archive grows). A row that races
# in is skipped by ON CONFLICT instead, leaving a gap in the ids.
_MOVE = text(
    f"""INSERT INTO articles (id, {_COLUMNS})
    SELECT coalesce(s.id, nextval(pg_get_serial_sequence('articles', 'id'))),
           {", ".join(f"s.{c}" for c in ARTICLE_COLUMNS)}
      FROM na_import_stage s
     ORDER BY s.ord
    ON CONFLICT DO NOTHING
    RETURNING id, content_hash"""
)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def insert_new(session: Session, articles: Sequence[Article], *, outbox: bool) -> dict[str, int]:
    """Insert `articles` (new, unsaved, no two with the same hash or URL) in three statements;
    returns {content_hash: id} of those inserted: the others found their hash or URL taken
    by a concurrent writer. `outbox`: record index work too (a non-transactional backend)."""
    if not articles:
        return {}
    conn = session.connection()
    conn.execute(text(_STAGE))
    driver = conn.connection.driver_connection
    assert driver is not None  # a checked-out connection always has one
    with driver.cursor() as cursor:
        with cursor.copy(f"COPY na_import_stage (ord, id, {_COLUMNS}) FROM STDIN") as copy:
            for position, article in enumerate(articles):
                copy.write_row((position, article.id, *_values(article)))
        inserted = {str(h): int(i) for i, h in conn.execute(_MOVE)}
        people = [
            (inserted[a.content_hash], p.position, p.name, p.role)
            for a in articles
            if a.content_hash in inserted
            for p in a.people
        ]
        if people:
            with cursor.copy(
                "COPY article_people (article_id, position, name, role) FROM STDIN"
            ) as copy:
                for row in people:
                    copy.write_row(row)
    if outbox:
        session.add_all(IndexOutbox(article_id=i, op="upsert") for i in inserted.values())
    return inserted


def allocate_ids(session: Session, count: int) -> list[int]:
    """`count` new article ids from the sequence, ascending, before the rows are written (their
    story ids are decided first and stored with them)."""
    if count <= 0:
        return []
    ids = session.scalars(
        text(
            "SELECT nextval(pg_get_serial_sequence('articles', 'id')) FROM generate_series(1, :n)"
        ),
        {"n": count},
    )
    return sorted(int(i) for i in ids)


def copy_rows(
    session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """COPY `rows` into `table` (`table` and `columns` are the caller's constants)."""
    driver = session.connection().connection.driver_connection
    assert driver is not None  # a checked-out connection always has one
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _values(a: Article) -> tuple[Any, ...]:
    """The article's ARTICLE_COLUMNS, in order (JSON columns as JSON text)."""
    return (
        a.title,
        a.title_derived,
        a.body,
        a.published,
        a.source,
        a.url,
        a.language,
        a.word_count,
        a.content_hash,
        a.origin,
        _json(a.extra),
        _json(a.provenance),
        a.created_at,
        a.updated_at,
        a.story_id,
        a.story_signature,
    )


def stored_matches(session: Session, *, hashes: list[str], urls: list[str]) -> list[Article]:
    """Stored articles with any of these content hashes or URLs."""
    if not hashes and not urls:
        return []
    condition = or_(Article.content_hash.in_(hashes), Article.url.in_(urls or [""]))
    return list(session.scalars(select(Article).where(condition)))


def raise_if_unresolved(article: Article | None, digest: str) -> Article:
    """The stored article a skipped row collided with; it must exist (see the module doc)."""
    if article is None:
        raise InvalidArticle(f"conflicts with a stored article (content hash {digest[:12]}…)")
    return article
