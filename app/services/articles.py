"""The article service: add, update, delete and get articles. Every write goes through here
(the database first, then the index); date-ordered lists are in listing.py, counts in counts.py."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.archive import Archive, WriteBusy
from app.ingest.headline import derive_title, pick_lead
from app.ingest.language import language_of, normalise
from app.ingest.record import ArticleIn, InvalidArticle, content_hash, count_words
from app.memory import release_free_memory
from app.models import Article, ArticlePerson, IndexOutbox, utcnow
from app.services import pg_bulk, stories
from app.services.index_sync import drain_outbox
from app.textclean import split_paragraphs

log = logging.getLogger(__name__)

Status = Literal["added", "duplicate"]
# When a write's index work is done: "all" drains the whole outbox before and after (inline
# indexing, in order), "own" indexes only the written articles before returning (a single
# article stays searchable when its response returns, whatever backlog there is), "behind"
# leaves it to the indexer (app.services.index_sync.catch_up).
IndexMode = Literal["all", "own", "behind"]


class ArticleNotFound(LookupError):
    """No article has this id."""


@dataclass
class AddOutcome:
    status: Status
    article: Article
    item: ArticleIn
    # The id an item asked for (an export being restored) when it was taken, so the article
    # was stored under a new one.
    renumbered_from: int | None = None


def _nul_field(item: ArticleIn) -> str | None:
    """The first field holding a NUL character, which PostgreSQL cannot store (and SQLite
    would store as is): refused on both, so both archives hold the same articles."""
    texts = {
        "body": item.body,
        "title": item.title,
        "source": item.source,
        "url": item.url,
        "language": item.language,
        "authors": "".join(item.authors),
        "contributors": "".join(item.contributors),
    }
    for name, value in texts.items():
        if value and "\x00" in value:
            return name
    if item.extra and "\\u0000" in json.dumps(item.extra):
        return "extra"
    return None


def validate(item: ArticleIn, *, max_bytes: int | None = None) -> None:
    """Refuse records no reader should produce (shared by the API and every importer);
    `max_bytes` is NEWSARCHIVE_MAX_ARTICLE_BYTES, applied to the body whatever way it came."""
    if not item.body or not item.body.strip():
        raise InvalidArticle("the article has no text")
    if max_bytes is not None and len(item.body) > max_bytes // 4:  # cheap test first
        size = len(item.body.encode("utf-8"))
        if size > max_bytes:
            raise InvalidArticle(
                f"the article text is {size:,} bytes; the limit is {max_bytes:,} "
                "(NEWSARCHIVE_MAX_ARTICLE_BYTES)"
            )
    if field := _nul_field(item):
        raise InvalidArticle(f"the {field} contains a NUL character (\\u0000), which is refused")
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
        # The source's own language tag as ISO 639-1, else detected from the text (0.2 ms).
        language=language_of(item.language, item.title, item.body),
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


def add_articles(
    archive: Archive,
    *,
    items: Sequence[ArticleIn],
    index: IndexMode = "all",
    in_transaction: Callable[[Session, list[AddOutcome]], None] | None = None,
) -> list[AddOutcome]:
    """Store new articles in one transaction, then index them as `index` says; duplicates
    (same content or URL) are reported with the article already stored, not added again.
    `in_transaction` writes what must be committed with the articles or not at all (an
    import's counts)."""
    for item in items:
        validate(item, max_bytes=archive.settings.max_article_bytes)
    outcomes: list[AddOutcome] = []
    with archive.write_lock():
        if index == "all":
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
            wanted_ids = [i.id for i in items if i.id is not None and 0 < i.id <= MAX_ID]
            taken_ids = (
                set(session.scalars(select(Article.id).where(Article.id.in_(wanted_ids))))
                if wanted_ids
                else set()
            )
            # With explicit ids in the batch, new ids are given explicitly too, above every id
            # stored or asked for: an id the database picked could be one a later item asks for.
            next_id = (
                max(int(session.scalar(select(func.max(Article.id))) or 0), *wanted_ids) + 1
                if wanted_ids
                else None
            )
            fresh: list[Article] = []
            for item, digest in zip(items, digests, strict=True):
                existing = known.get(digest) or (known_urls.get(item.url) if item.url else None)
                if existing is not None:
                    outcomes.append(AddOutcome("duplicate", existing, item))
                    continue
                renumbered = None
                if next_id is not None:
                    # Restoring an export keeps ids (and so links) unless the id is taken.
                    if item.id is not None and item.id not in taken_ids and 0 < item.id <= MAX_ID:
                        taken_ids.add(item.id)
                    else:
                        renumbered = item.id
                        item = replace(item, id=next_id)
                        next_id += 1
                article = _new_article(item, digest)
                fresh.append(article)
                known[digest] = article
                if item.url:
                    known_urls[item.url] = article
                outcomes.append(AddOutcome("added", article, item, renumbered))
            if session.get_bind().dialect.name == "postgresql":
                outcomes, moved = _copy_into_postgres(archive, session, fresh, outcomes)
            else:
                session.add_all(fresh)
                session.flush()
                if not archive.search.transactional:
                    session.add_all(IndexOutbox(article_id=a.id, op="upsert") for a in fresh)
                moved = _assign_stories(archive, session, fresh)
            if wanted_ids and session.get_bind().dialect.name == "postgresql":
                # Explicit ids do not advance PostgreSQL's sequence: move it past them.
                session.execute(
                    text(
                        "SELECT setval(pg_get_serial_sequence('articles', 'id'), "
                        "(SELECT max(id) FROM articles))"
                    )
                )
            if in_transaction is not None:
                in_transaction(session, outcomes)
            try:
                session.commit()
            except IntegrityError as exc:  # only if the lock was bypassed; never silently
                session.rollback()
                raise InvalidArticle(f"conflicts with a stored article: {exc.orig}") from exc
        if index == "all":
            _index_now(archive)
    if index == "own":
        _index_now(archive, [o.article.id for o in outcomes if o.status == "added"] + moved)
    return outcomes


def _assign_stories(archive: Archive, session: Session, articles: Sequence[Article]) -> list[int]:
    """Story ids for newly stored articles, in their transaction (app.services.stories);
    returns the other articles whose story id changed (a merge), queued for re-indexing."""
    found = stories.assign(session, [(a.id, a.body) for a in articles])
    for article in articles:
        # Written by the assignment's own UPDATE: the loaded object only learns the value.
        set_committed_value(article, "story_id", found.stories[article.id])
    if not archive.search.transactional:
        session.add_all(IndexOutbox(article_id=i, op="upsert") for i in found.moved)
    return found.moved


def _restory(archive: Archive, session: Session, article: Article) -> list[int]:
    """A changed text: the article leaves its story (its copies keep theirs) and is matched
    again; copies whose story id changed are re-indexed."""
    moved = stories.release(session, article.id)
    if not archive.search.transactional:
        session.add_all(IndexOutbox(article_id=i, op="upsert") for i in moved)
    session.flush()
    return sorted({*moved, *_assign_stories(archive, session, [article])})


def _index_now(archive: Archive, article_ids: Sequence[int] | None = None) -> None:
    """Apply the outbox (only these articles' entries, if given); a failure is logged, not
    raised: the rows are stored and their entries wait for the next drain or `check`.
    A single write's own entries wait at most `own_index_wait` for the index: an import holding
    it for a whole batch must not make the client time out (the server's background indexer
    applies them once the index is free)."""
    wait = archive.settings.own_index_wait if article_ids is not None else None
    try:
        drain_outbox(archive, article_ids=article_ids, wait=wait)
    except WriteBusy:
        log.info("index busy: %d entries left to the background indexer", len(article_ids or ()))
    except Exception:
        log.exception("indexing failed; the index will catch up on the next write")
    finally:
        release_free_memory()  # a long-running server's RSS must not keep the batch's buffers


def _copy_into_postgres(
    archive: Archive, session: Session, fresh: list[Article], outcomes: list[AddOutcome]
) -> tuple[list[AddOutcome], list[int]]:
    """Store `fresh` by COPY and one INSERT ... SELECT (app.services.pg_bulk) with their story
    ids, decided before the rows are written (an UPDATE afterwards writes every row twice);
    a row a concurrent writer stored first becomes a duplicate of it. Returns the outcomes and
    the older articles whose story id changed (to re-index)."""
    unnumbered = [a for a in fresh if a.id is None]
    for article, new_id in zip(
        unnumbered, pg_bulk.allocate_ids(session, len(unnumbered)), strict=True
    ):
        article.id = new_id
    decided = stories.plan(session, [(a.id, a.body) for a in fresh])
    for article in fresh:
        article.story_id = decided.stories[article.id]
        article.story_signature = decided.signatures[article.id]
    inserted = pg_bulk.insert_new(session, fresh, outbox=not archive.search.transactional)
    lost = [a for a in fresh if a.content_hash not in inserted]
    if not lost:
        moved = stories.write(session, decided, rows=False)
        if not archive.search.transactional:
            session.add_all(IndexOutbox(article_id=i, op="upsert") for i in moved)
        return outcomes, moved
    # Only when the write lock was bypassed: the plan may have joined articles to a lost row's
    # story, so the stored rows are assigned again, as the per-row path does.
    moved = _assign_stories(archive, session, [a for a in fresh if a.content_hash in inserted])
    stored = pg_bulk.stored_matches(
        session, hashes=[a.content_hash for a in lost], urls=[a.url for a in lost if a.url]
    )
    by_hash = {a.content_hash: a for a in stored}
    by_url = {a.url: a for a in stored if a.url}
    winners: dict[int, Article] = {}
    for article in lost:
        found = by_hash.get(article.content_hash) or by_url.get(article.url or "")
        winners[id(article)] = pg_bulk.raise_if_unresolved(found, article.content_hash)
    # The lost row, and any later copy of it in the batch, are duplicates of the stored one.
    outcomes = [
        AddOutcome("duplicate", winners[id(o.article)], o.item) if id(o.article) in winners else o
        for o in outcomes
    ]
    return outcomes, moved


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
    """Store one article and make it searchable before returning (see add_articles)."""
    return add_articles(archive, items=[item], index="own")[0]


# Ids are INTEGER columns: 32-bit on PostgreSQL, where a larger value is an error (a 500 for
# /api/v1/articles/9223372036854775807), not a miss. Both backends treat it as "no such id".
MAX_ID = 2**31 - 1


def delete_article(archive: Archive, *, article_id: int) -> None:
    """Remove an article from the database and then from the index."""
    if not 0 <= article_id <= MAX_ID:
        raise ArticleNotFound(article_id)
    with archive.write_lock():
        with archive.sessions() as session:
            article = session.get(Article, article_id)
            if article is None:
                raise ArticleNotFound(article_id)
            # A deleted story head: the next copy heads the story (and is re-indexed with it).
            moved = stories.release(session, article_id)
            session.delete(article)
            if not archive.search.transactional:
                session.add(IndexOutbox(article_id=article_id, op="delete"))
                session.add_all(IndexOutbox(article_id=i, op="upsert") for i in moved)
            session.commit()
        drain_outbox(archive, article_ids=[article_id, *moved])  # only its own: not a whole backlog


def get_article(archive: Archive, *, article_id: int, primary: bool = False) -> Article:
    """One article by id, read from the replica if there is one (`primary`: from the primary,
    for a read that must see this caller's own writes, such as an If-Match check)."""
    if not 0 <= article_id <= MAX_ID:
        raise ArticleNotFound(article_id)
    sessions = archive.sessions if primary else archive.read_sessions
    with sessions() as session:
        article = session.get(Article, article_id)
    if article is None and not primary and archive.replica is not None:
        # Not replayed yet (a client reading the article it just created): ask the primary.
        return get_article(archive, article_id=article_id, primary=True)
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
    `articles` partitioned by year PostgreSQL reads only those years. Read from the same
    database the search ran on (the replica, if any)."""
    if not ids:
        return []
    stmt = select(Article).where(Article.id.in_(ids))
    if date_from is not None:
        stmt = stmt.where(Article.published >= date_from)
    if date_to is not None:
        stmt = stmt.where(Article.published <= date_to)
    with archive.read_sessions() as session:
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
    moved: list[int] = []  # copies whose story id changed with this article's text
    with archive.write_lock():
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
                changed_text = article.body != changes.body
                article.body = changes.body
                article.content_hash = digest
                article.word_count = count_words(changes.body)
                if changed_text:
                    moved = _restory(archive, session, article)
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
                article.language = normalise(changes.language)
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
                    language=article.language,
                    authors=[p.name for p in article.people],
                ),
                max_bytes=archive.settings.max_article_bytes,
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
        _index_now(archive, [article_id, *moved])  # only its own entries: not a whole backlog
    return article
