"""Counts per facet value and date bucket on PostgreSQL, of articles (facets) or of stories
(count=stories: the story id or, for an article without one, the article's own id,
postgres_fold.story_key, the key search results fold by). One grouping for both units, so the
two can never disagree about what a value is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from app.models import Article, ArticlePerson
from app.search.base import StoryField
from app.search.postgres_fold import story_key

# to_char patterns of the date buckets, the keys Whoosh gives them too.
_DATE_FORMAT = {"day": "YYYY-MM-DD", "month": "YYYY-MM", "year": "YYYY"}


def count_values(
    conn: Connection,
    where: ColumnElement[bool],
    fields: Sequence[StoryField],
    *,
    stories: bool,
) -> dict[StoryField, dict[str, int]]:
    """For each field, the matches (`where`) per value: distinct articles (an author counted
    once per article whatever their roles), or distinct stories."""
    counted = func.count(func.distinct(story_key() if stories else Article.id))
    out: dict[StoryField, dict[str, int]] = {}
    for field in fields:
        key: Any
        if field in ("no_source", "no_author"):
            none = (
                or_(Article.source.is_(None), Article.source == "")
                if field == "no_source"
                else ~select(ArticlePerson.article_id)
                .where(ArticlePerson.article_id == Article.id)
                .exists()
            )
            out[field] = {"": int(conn.execute(select(counted).where(where, none)).scalar_one())}
            continue
        if field == "source":
            key = func.lower(Article.source)
            stmt = select(key, counted).where(where, Article.source.is_not(None))
        elif field == "author":
            key = func.lower(ArticlePerson.name)
            stmt = (
                select(key, counted)
                .join(ArticlePerson, ArticlePerson.article_id == Article.id)
                .where(where)
            )
        elif field == "language":
            key = Article.language
            stmt = select(key, counted).where(where, Article.language.is_not(None))
        else:
            key = cast(func.to_char(Article.published, _DATE_FORMAT[field]), String)
            stmt = select(key, counted).where(where, Article.published.is_not(None))
        rows = conn.execute(stmt.group_by(key)).all()
        if field in _DATE_FORMAT:
            out[field] = {str(r[0]): int(r[1]) for r in rows}
        else:
            out[field] = {" ".join(str(r[0]).split()): int(r[1]) for r in rows if r[0]}
    return out
