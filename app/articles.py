"""The article service: every page, API route and CLI command reads and writes through here."""

from __future__ import annotations

import datetime as dt
import logging
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, cast

from sqlalchemy import Engine, Select, extract, func, select
from sqlalchemy.exc import IntegrityError

from app.archive import Archive
from app.index_sync import drain_outbox
from app.ingest.record import ArticleIn, InvalidArticle, content_hash, count_words
from app.models import Article, ArticlePerson, IndexOutbox, utcnow

log = logging.getLogger(__name__)

Status = Literal["added", "duplicate"]


class ArticleNotFound(LookupError):
    """No article has this id."""


@dataclass
class AddOutcome:
    status: Status
    article: Article
    item: ArticleIn


def validate(item: ArticleIn) -> None:
    """Refuse records no reader should produce (shared by the API and every importer)."""
    if not item.body or not item.body.strip():
        raise InvalidArticle("the article has no text")
    if not item.title or not item.title.strip():
        raise InvalidArticle("the article has no title")
    if len(item.title) > 500:
        raise InvalidArticle("the title is longer than 500 characters")
    if item.source is not None and len(item.source) > 200:
        raise InvalidArticle("the source is longer than 200 characters")
    if item.url is not None and len(item.url) > 2000:
        raise InvalidArticle("the url is longer than 2000 characters")


def _new_article(item: ArticleIn, digest: str) -> Article:
    now = utcnow()
    article = Article(
        title=" ".join((item.title or "").split()),
        title_derived=item.title_derived,
        body=item.body,
        published=item.published,
        source=" ".join(item.source.split()) if item.source else None,
        url=item.url,
        language=item.language,
        word_count=count_words(item.body),
        content_hash=digest,
        origin=item.origin,
        created_at=now,
        updated_at=now,
    )
    people = [(n, "author") for n in item.authors] + [(n, "contributor") for n in item.contributors]
    article.people = [
        ArticlePerson(name=" ".join(name.split()), role=role, position=i)
        for i, (name, role) in enumerate(people)
        if name.strip()
    ]
    return article


def add_articles(archive: Archive, *, items: Sequence[ArticleIn]) -> list[AddOutcome]:
    """Store new articles in one transaction, then index them; duplicates (same content or URL)
    are reported with the article already stored, not added again."""
    for item in items:
        validate(item)
    outcomes: list[AddOutcome] = []
    with archive.write_lock():
        drain_outbox(archive)  # finish work a crashed writer left behind, in order
        with archive.sessions() as session:
            digests = [content_hash(item.body) for item in items]
            urls = [item.url for item in items if item.url]
            known: dict[str, Article] = {
                a.content_hash: a
                for a in session.scalars(select(Article).where(Article.content_hash.in_(digests)))
            }
            known_urls: dict[str, Article] = (
                {
                    a.url: a
                    for a in session.scalars(select(Article).where(Article.url.in_(urls)))
                    if a.url
                }
                if urls
                else {}
            )
            for item, digest in zip(items, digests, strict=True):
                existing = known.get(digest) or (known_urls.get(item.url) if item.url else None)
                if existing is not None:
                    outcomes.append(AddOutcome("duplicate", existing, item))
                    continue
                article = _new_article(item, digest)
                session.add(article)
                known[digest] = article
                if item.url:
                    known_urls[item.url] = article
                outcomes.append(AddOutcome("added", article, item))
            session.flush()
            session.add_all(
                IndexOutbox(article_id=o.article.id, op="upsert")
                for o in outcomes
                if o.status == "added"
            )
            try:
                session.commit()
            except IntegrityError as exc:  # only if the lock was bypassed; never silently
                session.rollback()
                raise InvalidArticle(f"conflicts with a stored article: {exc.orig}") from exc
        try:
            drain_outbox(archive)
        except Exception:
            # Stored safely; the outbox keeps the index work for the next writer or `check`.
            log.exception("indexing failed; the index will catch up on the next write")
    return outcomes


def add_article(archive: Archive, *, item: ArticleIn) -> AddOutcome:
    """Store one article (see add_articles)."""
    return add_articles(archive, items=[item])[0]


def delete_article(archive: Archive, *, article_id: int) -> None:
    """Remove an article from the database and then from the index."""
    with archive.write_lock():
        with archive.sessions() as session:
            article = session.get(Article, article_id)
            if article is None:
                raise ArticleNotFound(article_id)
            session.delete(article)
            session.add(IndexOutbox(article_id=article_id, op="delete"))
            session.commit()
        drain_outbox(archive)


def get_article(archive: Archive, *, article_id: int) -> Article:
    """One article by id."""
    with archive.sessions() as session:
        article = session.get(Article, article_id)
        if article is None:
            raise ArticleNotFound(article_id)
        return article


def get_articles(archive: Archive, *, ids: Sequence[int]) -> list[Article]:
    """Articles in the order of `ids` (rank order from the index), in one query."""
    if not ids:
        return []
    with archive.sessions() as session:
        rows = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]


@dataclass(frozen=True)
class ArticleFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sources: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()


def _filtered(stmt: Select, f: ArticleFilters) -> Select:
    if f.date_from:
        stmt = stmt.where(Article.published >= f.date_from)
    if f.date_to:
        stmt = stmt.where(Article.published <= f.date_to)
    if f.sources:
        stmt = stmt.where(func.lower(Article.source).in_([s.casefold() for s in f.sources]))
    if f.authors:
        people = select(ArticlePerson.article_id).where(
            func.lower(ArticlePerson.name).in_([a.casefold() for a in f.authors])
        )
        stmt = stmt.where(Article.id.in_(people))
    return stmt


def list_articles(
    archive: Archive,
    *,
    filters: ArticleFilters,
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
    with archive.sessions() as session:
        total = session.scalar(_filtered(select(func.count(Article.id)), filters)) or 0
        rows = list(
            session.scalars(
                _filtered(select(Article), filters).order_by(*order).offset(offset).limit(limit)
            )
        )
    return rows, int(total)


def count_articles(archive: Archive) -> int:
    with archive.sessions() as session:
        return int(session.scalar(select(func.count(Article.id))) or 0)


def neighbours(archive: Archive, *, article: Article) -> tuple[Article | None, Article | None]:
    """The previous and next article in date order (ties broken by id)."""
    with archive.sessions() as session:
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


T = TypeVar("T")
COUNTS_TTL = 30.0  # seconds; bounds staleness from edits the fingerprint cannot see
_counts: weakref.WeakKeyDictionary[Engine, dict[Any, tuple[tuple[int, int], float, Any]]] = (
    weakref.WeakKeyDictionary()
)


def _remembered(archive: Archive, key: Any, compute: Callable[[], T]) -> T:
    """Archive-wide counts are GROUP BYs over every row (tens of ms at 20k articles) and change
    only when articles come or go: reuse them while the article count and highest id stay the
    same, for at most COUNTS_TTL seconds. Other processes' writes change the fingerprint too."""
    with archive.sessions() as session:
        n, top = session.execute(select(func.count(Article.id), func.max(Article.id))).one()
    fingerprint = (int(n), int(top or 0))
    store = _counts.setdefault(archive.engine, {})
    hit = store.get(key)
    now = time.monotonic()
    if hit and hit[0] == fingerprint and now - hit[1] < COUNTS_TTL:
        return cast(T, hit[2])
    value = compute()
    store[key] = (fingerprint, now, value)
    return value


def date_counts(
    archive: Archive, *, year: int | None = None, month: int | None = None
) -> list[tuple[int, int]]:
    """Article counts per year, per month of `year`, or per day of `year`-`month`."""
    return _remembered(
        archive, ("dates", year, month), lambda: _date_counts(archive, year=year, month=month)
    )


def _date_counts(archive: Archive, *, year: int | None, month: int | None) -> list[tuple[int, int]]:
    if year is None:
        part = extract("year", Article.published)
    elif month is None:
        part = extract("month", Article.published)
    else:
        part = extract("day", Article.published)
    stmt = select(part.label("k"), func.count(Article.id)).group_by("k").order_by("k")
    if year is not None:
        stmt = stmt.where(extract("year", Article.published) == year)
    if month is not None:
        stmt = stmt.where(extract("month", Article.published) == month)
    with archive.sessions() as session:
        return [(int(k), int(n)) for k, n in session.execute(stmt).all()]


def source_counts(archive: Archive) -> list[tuple[str, int]]:
    """Every source with its number of articles, largest first."""
    return _remembered(archive, "sources", lambda: _source_counts(archive))


def _source_counts(archive: Archive) -> list[tuple[str, int]]:
    stmt = (
        select(Article.source, func.count(Article.id).label("n"))
        .where(Article.source.is_not(None))
        .group_by(Article.source)
        .order_by(func.count(Article.id).desc(), Article.source)
    )
    with archive.sessions() as session:
        return [(str(s), int(n)) for s, n in session.execute(stmt).all()]


def date_span(archive: Archive) -> tuple[dt.date | None, dt.date | None]:
    with archive.sessions() as session:
        lo, hi = session.execute(
            select(func.min(Article.published), func.max(Article.published))
        ).one()
    return lo, hi


def author_counts(archive: Archive, *, limit: int | None = None) -> list[tuple[str, int]]:
    """Every author (not contributor) with their number of articles, most prolific first."""
    return _remembered(archive, ("authors", limit), lambda: _author_counts(archive, limit=limit))


def _author_counts(archive: Archive, *, limit: int | None) -> list[tuple[str, int]]:
    # DISTINCT first, then a plain count: twice as fast as count(DISTINCT) per group at 20k.
    pairs = (
        select(ArticlePerson.article_id, ArticlePerson.name)
        .where(ArticlePerson.role == "author")
        .distinct()
        .subquery()
    )
    n = func.count()
    stmt = select(pairs.c.name, n).group_by(pairs.c.name).order_by(n.desc(), pairs.c.name)
    with archive.sessions() as session:
        return [(str(a), int(c)) for a, c in session.execute(stmt.limit(limit)).all()]


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
    with archive.sessions() as session:
        return [ArticleStub(*row) for row in session.execute(stmt).all()]
