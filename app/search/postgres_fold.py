"""One result per story on PostgreSQL (SearchRequest.fold_stories): in date order a window
function picks each story's newest (or oldest) match in the database; in relevance order the
BM25 scores are computed in Python (postgres_rank.py), so the ranked matches are folded there,
with their story ids read in one query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, func, select, text, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from app.models import Article
from app.search.base import SearchHits, SearchRequest
from app.search.postgres_rank import Ranked


def story_key() -> ColumnElement[int]:
    """The story id, or the article's own id for one without (never folded with another)."""
    return func.coalesce(Article.story_id, Article.id)


def without_jit(conn: Connection) -> None:
    """With sequential scans priced out (PostgresBackend._searching), a window over a small
    table is costed past `jit_above_cost`: compiling it took ~200 ms of a 1 ms query."""
    conn.execute(text("SET LOCAL jit = off"))


def count_stories(conn: Connection, where: ColumnElement[bool]) -> int:
    return int(conn.scalar(select(func.count(func.distinct(story_key()))).where(where)) or 0)


def dated(
    conn: Connection, where: ColumnElement[bool], request: SearchRequest, *, newest: bool
) -> SearchHits:
    """A page of stories in date order, each shown by its newest (oldest) matching copy."""
    without_jit(conn)
    order = (
        (Article.published.desc(), Article.id.desc())
        if newest
        else (Article.published.asc(), Article.id.asc())
    )
    key = story_key()
    inner = (
        select(
            Article.id,
            Article.published,
            func.row_number().over(partition_by=key, order_by=order).label("rn"),
            func.count().over(partition_by=key).label("n"),
        )
        .where(where)
        .subquery()
    )
    stmt: Select[Any] = select(inner.c.id, inner.c.n).where(inner.c.rn == 1)
    if request.after is not None:
        cursor = tuple_(inner.c.published, inner.c.id)
        stmt = stmt.where(cursor < request.after if newest else cursor > request.after)
    if newest:
        stmt = stmt.order_by(inner.c.published.desc(), inner.c.id.desc())
    else:
        stmt = stmt.order_by(inner.c.published.asc(), inner.c.id.asc())
    rows = conn.execute(stmt.offset(request.offset).limit(request.limit)).all()
    ids = [int(r[0]) for r in rows]
    return SearchHits(
        ids=ids,
        scores=[None] * len(ids),
        total=count_stories(conn, where),
        copies=[int(r[1]) - 1 for r in rows],
    )


def fold_ranked(conn: Connection, ranked: Ranked) -> tuple[Ranked, dict[int, int]]:
    """Each story's best-ranked match (`ranked` is best first), and its other copies' count."""
    keys: dict[int, int] = {}
    stmt = select(Article.id, story_key()).where(Article.id.in_(bindparam("ids", expanding=True)))
    for start in range(0, len(ranked.ids), 10_000):
        chunk = ranked.ids[start : start + 10_000]
        keys.update({int(i): int(k) for i, k in conn.execute(stmt, {"ids": chunk})})
    first: dict[int, int] = {}  # story -> position of its best match
    counts: dict[int, int] = {}
    for at, article_id in enumerate(ranked.ids):
        story = keys.get(article_id, -article_id)
        first.setdefault(story, at)
        counts[story] = counts.get(story, 0) + 1
    chosen = sorted(first.values())
    copies = {
        ranked.ids[at]: counts[keys.get(ranked.ids[at], -ranked.ids[at])] - 1 for at in chosen
    }
    folded = Ranked(
        [ranked.ids[at] for at in chosen], [ranked.scores[at] for at in chosen], ranked.complete
    )
    return folded, copies
