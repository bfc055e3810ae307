"""Articles in date order: filtered pages (by offset or by keyset), an article's neighbours,
and the light stubs sitemaps list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, func, select

from app.archive import Archive
from app.models import Article, ArticlePerson
from app.search.base import SearchFilters


def _filtered(stmt: Select, f: SearchFilters) -> Select:
    if f.date_from:
        stmt = stmt.where(Article.published >= f.date_from)
    if f.date_to:
        stmt = stmt.where(Article.published <= f.date_to)
    if f.sources:
        stmt = stmt.where(func.lower(Article.source).in_([s.casefold() for s in f.sources]))
    if f.languages:
        stmt = stmt.where(Article.language.in_([lang.lower() for lang in f.languages]))
    if f.authors:
        people = select(ArticlePerson.article_id).where(
            func.lower(ArticlePerson.name).in_([a.casefold() for a in f.authors])
        )
        stmt = stmt.where(Article.id.in_(people))
    return stmt


def list_articles(
    archive: Archive,
    *,
    filters: SearchFilters,
    offset: int,
    limit: int,
    oldest_first: bool = False,
) -> tuple[list[Article], int]:
    """A page of articles in date order (newest first by default) and the total."""
    order = (
        (Article.published.asc(), Article.id.asc())
        if oldest_first
        else (Article.published.desc(), Article.id.desc())
    )
    with archive.read_sessions() as session:
        total = session.scalar(_filtered(select(func.count(Article.id)), filters)) or 0
        rows = list(
            session.scalars(
                _filtered(select(Article), filters).order_by(*order).offset(offset).limit(limit)
            )
        )
    return rows, int(total)


def list_after(
    archive: Archive,
    *,
    filters: SearchFilters,
    after: tuple[dt.date, int] | None,
    limit: int,
    oldest_first: bool = False,
) -> list[Article]:
    """A page of articles after a (published, id) key: keyset paging, stable under inserts."""
    stmt = _filtered(select(Article), filters)
    if after is not None:
        day, last_id = after
        if oldest_first:
            stmt = stmt.where(
                (Article.published > day) | ((Article.published == day) & (Article.id > last_id))
            )
        else:
            stmt = stmt.where(
                (Article.published < day) | ((Article.published == day) & (Article.id < last_id))
            )
    order = (
        (Article.published.asc(), Article.id.asc())
        if oldest_first
        else (Article.published.desc(), Article.id.desc())
    )
    with archive.read_sessions() as session:
        return list(session.scalars(stmt.order_by(*order).limit(limit)))


def neighbours(archive: Archive, *, article: Article) -> tuple[Article | None, Article | None]:
    """The previous and next article in date order (ties broken by id)."""
    with archive.read_sessions() as session:
        prev = session.scalar(
            select(Article)
            .where(
                (Article.published < article.published)
                | ((Article.published == article.published) & (Article.id < article.id))
            )
            .order_by(Article.published.desc(), Article.id.desc())
            .limit(1)
        )
        nxt = session.scalar(
            select(Article)
            .where(
                (Article.published > article.published)
                | ((Article.published == article.published) & (Article.id > article.id))
            )
            .order_by(Article.published.asc(), Article.id.asc())
            .limit(1)
        )
    return prev, nxt


@dataclass(frozen=True)
class ArticleStub:
    """Just enough of an article to link to it (sitemaps list every article)."""

    id: int
    title: str
    published: dt.date
    updated_at: dt.datetime


def article_stubs(archive: Archive, *, limit: int) -> list[ArticleStub]:
    """The newest `limit` articles as id, title and dates, without loading bodies."""
    stmt = (
        select(Article.id, Article.title, Article.published, Article.updated_at)
        .order_by(Article.published.desc(), Article.id.desc())
        .limit(limit)
    )
    with archive.read_sessions() as session:
        return [ArticleStub(*row) for row in session.execute(stmt).all()]
