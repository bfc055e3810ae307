"""The article service: add, update, delete and get articles. Every write goes through here
(the database first, then the index); date-ordered lists are in listing.py, counts in counts.py."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from app.archive import Archive
from app.ingest.headline import derive_title, pick_lead
from app.ingest.record import ArticleIn, InvalidArticle, content_hash, count_words
from app.models import Article, ArticlePerson, IndexOutbox, utcnow
from app.services.index_sync import drain_outbox
from app.textclean import split_paragraphs

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
        id=item.id,
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
        extra=item.extra or None,
        provenance=item.provenance or None,
        created_at=item.created_at or now,
        updated_at=item.updated_at or item.created_at or now,
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
            wanted_ids = [item.id for item in items if item.id is not None]
            taken_ids = (
                set(session.scalars(select(Article.id).where(Article.id.in_(wanted_ids))))
                if wanted_ids
                else set()
            )
            for item, digest in zip(items, digests, strict=True):
                existing = known.get(digest) or (known_urls.get(item.url) if item.url else None)
                if existing is not None:
                    outcomes.append(AddOutcome("duplicate", existing, item))
                    continue
                if (wanted := item.id) is not None:
                    # Restoring an export keeps ids (and so links) unless the id is taken.
                    if wanted in taken_ids:
                        item = replace(item, id=None)
                    else:
                        taken_ids.add(wanted)
                article = _new_article(item, digest)
                session.add(article)
                known[digest] = article
                if item.url:
                    known_urls[item.url] = article
                outcomes.append(AddOutcome("added", article, item))
            session.flush()
            if not archive.search.transactional:
                session.add_all(
                    IndexOutbox(article_id=o.article.id, op="upsert")
                    for o in outcomes
                    if o.status == "added"
                )
            if wanted_ids and session.get_bind().dialect.name == "postgresql":
                # Explicit ids do not advance PostgreSQL's sequence: move it past them.
                session.execute(
                    text(
                        "SELECT setval(pg_get_serial_sequence('articles', 'id'), "
                        "(SELECT max(id) FROM articles))"
                    )
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


def known_articles(archive: Archive, *, items: Sequence[ArticleIn]) -> list[bool]:
    """For each item, whether an article with the same content or URL is already stored (what
    add_articles would report as a duplicate); reads only."""
    digests = [content_hash(item.body) for item in items]
    urls = [item.url for item in items if item.url]
    with archive.sessions() as session:
        hashes = set(
            session.scalars(select(Article.content_hash).where(Article.content_hash.in_(digests)))
        )
        stored_urls = (
            set(session.scalars(select(Article.url).where(Article.url.in_(urls))))
            if urls
            else set()
        )
    return [
        digest in hashes or (item.url is not None and item.url in stored_urls)
        for item, digest in zip(items, digests, strict=True)
    ]


def add_article(archive: Archive, *, item: ArticleIn) -> AddOutcome:
    """Store one article (see add_articles)."""
    return add_articles(archive, items=[item])[0]


MAX_ID = 2**63 - 1  # SQL integers: a larger id cannot exist and would overflow the driver


def delete_article(archive: Archive, *, article_id: int) -> None:
    """Remove an article from the database and then from the index."""
    if not 0 <= article_id <= MAX_ID:
        raise ArticleNotFound(article_id)
    with archive.write_lock():
        with archive.sessions() as session:
            article = session.get(Article, article_id)
            if article is None:
                raise ArticleNotFound(article_id)
            session.delete(article)
            if not archive.search.transactional:
                session.add(IndexOutbox(article_id=article_id, op="delete"))
            session.commit()
        drain_outbox(archive)


def get_article(archive: Archive, *, article_id: int) -> Article:
    """One article by id."""
    if not 0 <= article_id <= MAX_ID:
        raise ArticleNotFound(article_id)
    with archive.sessions() as session:
        article = session.get(Article, article_id)
        if article is None:
            raise ArticleNotFound(article_id)
        return article


def get_articles(
    archive: Archive,
    *,
    ids: Sequence[int],
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> list[Article]:
    """Articles in the order of `ids` (rank order from the index), in one query. `date_from` /
    `date_to`: bounds the articles are known to lie in (a search's date filter), so that with
    `articles` partitioned by year PostgreSQL reads only those years."""
    if not ids:
        return []
    stmt = select(Article).where(Article.id.in_(ids))
    if date_from is not None:
        stmt = stmt.where(Article.published >= date_from)
    if date_to is not None:
        stmt = stmt.where(Article.published <= date_to)
    with archive.sessions() as session:
        rows = {a.id: a for a in session.scalars(stmt)}
    return [rows[i] for i in ids if i in rows]


class ArticleConflict(ValueError):
    """An update would make this article a copy of another (same content or URL)."""

    def __init__(self, message: str, *, existing: Article) -> None:
        super().__init__(message)
        self.existing = existing


@dataclass(frozen=True)
class ArticleChanges:
    """New values for an update; None leaves a field as it is (`clear` names fields to empty)."""

    title: str | None = None
    title_derived: bool = False
    body: str | None = None
    published: dt.date | None = None
    source: str | None = None
    authors: list[str] | None = None
    url: str | None = None
    language: str | None = None
    clear: frozenset[str] = frozenset()


def update_article(archive: Archive, *, article_id: int, changes: ArticleChanges) -> Article:
    """Change an article and re-index it at once (row + outbox in one transaction)."""
    if not 0 <= article_id <= MAX_ID:
        raise ArticleNotFound(article_id)
    with archive.write_lock():
        drain_outbox(archive)
        with archive.sessions() as session:
            article = session.get(Article, article_id)
            if article is None:
                raise ArticleNotFound(article_id)
            if changes.body is not None:
                digest = content_hash(changes.body)
                other = session.scalar(
                    select(Article).where(Article.content_hash == digest, Article.id != article_id)
                )
                if other is not None:
                    raise ArticleConflict(
                        f"another article (id {other.id}) has this text", existing=other
                    )
                if changes.title is None and article.title_derived:
                    # the old title came from the old lead: derive it again from the new one
                    lead = pick_lead(split_paragraphs(changes.body)) or changes.body
                    article.title = " ".join(derive_title(lead).split())
                article.body = changes.body
                article.content_hash = digest
                article.word_count = count_words(changes.body)
            if changes.url is not None:
                other = session.scalar(
                    select(Article).where(Article.url == changes.url, Article.id != article_id)
                )
                if other is not None:
                    raise ArticleConflict(
                        f"another article (id {other.id}) has this url", existing=other
                    )
                article.url = changes.url
            if changes.title is not None:
                article.title = " ".join(changes.title.split())
                article.title_derived = changes.title_derived
            if changes.published is not None:
                article.published = changes.published
            if changes.source is not None:
                article.source = " ".join(changes.source.split())
            if changes.language is not None:
                article.language = changes.language
            for name in changes.clear & {"source", "url", "language"}:
                setattr(article, name, None)
            if changes.authors is not None or "authors" in changes.clear:
                names = [" ".join(n.split()) for n in changes.authors or [] if n.strip()]
                kept = [p.name for p in article.people if p.role == "contributor"]
                people = [(n, "author") for n in names] + [(n, "contributor") for n in kept]
                article.people = [
                    ArticlePerson(name=name, role=role, position=i)
                    for i, (name, role) in enumerate(people)
                ]
            validate(
                ArticleIn(
                    body=article.body,
                    published=article.published,
                    title=article.title,
                    source=article.source,
                    url=article.url,
                )
            )
            article.updated_at = utcnow()
            if not archive.search.transactional:
                session.add(IndexOutbox(article_id=article_id, op="upsert"))
            try:
                session.commit()
            except IntegrityError as exc:  # only if the lock was bypassed; never silently
                session.rollback()
                raise InvalidArticle(f"conflicts with a stored article: {exc.orig}") from exc
            session.refresh(article)
        try:
            drain_outbox(archive)
        except Exception:
            # Stored safely; the outbox keeps the index work for the next writer or `check`.
            log.exception("indexing failed; the index will catch up on the next write")
    return article
