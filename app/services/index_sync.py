"""Keeping the search index in step with the database, which is the source of truth.

Every write records its index work in `index_outbox` inside the same transaction as the row.
Then either the writer applies it at once (`drain_outbox`: inline indexing, a single article's
own entries) or it is left for the indexer, which drains the outbox in large batches behind the
import (`catch_up`; `serve` runs it in the background). If a process dies in between, the
entries stay until the next drain; `check` compares the two stores and `reindex` rebuilds the
index from the database.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.archive import Archive
from app.models import Article, IndexOutbox, utcnow
from app.search.base import IndexDamaged, IndexDoc, SearchUnavailable
from app.services import sync_watermark

log = logging.getLogger(__name__)
# Entries per index commit when draining a backlog: big enough that each commit's fixed costs
# (a segment, a merge, starting the index workers) are shared by many articles.
CATCH_UP_BATCH = 5000
_IN_CHUNK = 900  # ids per IN (...) list, under every database's parameter limit


def to_index_doc(article: Article) -> IndexDoc:
    return IndexDoc(
        id=article.id,
        title=article.title,
        body=article.body,
        published=article.published,
        source=article.source,
        people=tuple(article.all_people),
        content_hash=article.content_hash,
        title_derived=article.title_derived,
        language=article.language,
        story_id=article.story_id,
    )


def _chunks(values: Sequence[int], size: int = _IN_CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def drain_outbox(
    archive: Archive,
    *,
    article_ids: Sequence[int] | None = None,
    limit: int | None = None,
    wait: float | None = None,
) -> int:
    """Apply pending index work, oldest first: all of it, only the entries of `article_ids`
    (a single write making its own article searchable), or at most `limit` entries. Returns
    entries applied. Holds the index lock: rows are read, written to the index, and exactly
    the entries read are cleared, so a row changed meanwhile keeps its newer entry. `wait`:
    seconds to wait for the index lock (default: the write-lock timeout), then WriteBusy."""
    with archive.index_lock(timeout=wait):
        chained = sync_watermark.chain_holds(archive)
        with archive.sessions() as session:
            query = select(IndexOutbox.id, IndexOutbox.article_id).order_by(IndexOutbox.id)
            if article_ids is not None:
                if not article_ids:
                    return 0
                query = query.where(IndexOutbox.article_id.in_(list(article_ids)))
            if limit is not None:
                query = query.limit(limit)
            entries = session.execute(query).all()
            if not entries:
                return 0
            ids = sorted({article_id for _, article_id in entries})
            live: dict[int, Article] = {}
            for chunk in _chunks(ids):
                live.update(
                    (a.id, a) for a in session.scalars(select(Article).where(Article.id.in_(chunk)))
                )
            # Whatever the recorded op, the row decides: present means upsert, gone means delete.
            archive.search.upsert([to_index_doc(live[i]) for i in ids if i in live])
            archive.search.delete([i for i in ids if i not in live])
            for chunk in _chunks([entry_id for entry_id, _ in entries]):
                session.execute(delete(IndexOutbox).where(IndexOutbox.id.in_(chunk)))
            session.commit()
        if chained:
            sync_watermark.extend(archive)
    return len(entries)


def catch_up(
    archive: Archive,
    *,
    batch_size: int = CATCH_UP_BATCH,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Drain the outbox in large batches until it is empty. Returns entries applied."""
    done = 0
    while applied := drain_outbox(archive, limit=batch_size):
        done += applied
        if on_batch:
            on_batch(applied)
    return done


def pending_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(IndexOutbox)) or 0)


@dataclass(frozen=True)
class IndexLag:
    """How far the index is behind the database: entries pending and the oldest one's age."""

    pending: int
    oldest_seconds: float | None


def index_lag(session: Session) -> IndexLag:
    count, oldest = session.execute(
        select(func.count(IndexOutbox.id), func.min(IndexOutbox.created_at))
    ).one()
    age = None
    if oldest is not None:
        if isinstance(oldest, str):  # SQLite's CURRENT_TIMESTAMP read through a raw count
            oldest = dt.datetime.fromisoformat(oldest)
        age = max(0.0, (utcnow() - oldest.replace(tzinfo=None)).total_seconds())
    return IndexLag(pending=int(count or 0), oldest_seconds=age)


def iter_index_docs(archive: Archive, batch_size: int = 500) -> Iterator[list[IndexDoc]]:
    """All articles as index documents, in id order, a batch at a time (flat memory)."""
    last_id = 0
    while True:
        with archive.sessions() as session:
            batch = list(
                session.scalars(
                    select(Article)
                    .where(Article.id > last_id)
                    .order_by(Article.id)
                    .limit(batch_size)
                )
            )
            docs = [to_index_doc(a) for a in batch]
        if not docs:
            return
        last_id = docs[-1].id
        yield docs


def reindex(archive: Archive, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the whole index from the database. Returns the number of documents indexed."""
    if archive.search.transactional:
        return archive.search.doc_count()  # the index is part of the rows: nothing to rebuild
    with archive.write_lock(), archive.index_lock():
        return _rebuild_locked(archive, progress)


def _rebuild_locked(archive: Archive, progress: Callable[[int], None] | None = None) -> int:
    with archive.sessions() as session:
        session.execute(delete(IndexOutbox))
        session.commit()

    def batches() -> Iterator[list[IndexDoc]]:
        for docs in iter_index_docs(archive):
            yield docs
            if progress:
                progress(len(docs))

    count = archive.search.rebuild(batches())
    # No writer could change a row meanwhile (the write lock): the two agree now.
    if (generation := archive.search.generation()) is not None:
        sync_watermark.record(archive, sync_watermark.database_mark(archive), generation)
    return count


def index_disagreement(archive: Archive) -> str | None:
    """Why the index cannot answer for the database, or None: it cannot be read, its files
    are damaged, or it holds far fewer articles than the database (a lost or emptied index
    folder) even counting the index work still pending. An index only a few writes behind
    is not a disagreement: the outbox catches it up."""
    if archive.search.transactional:
        return None
    index = archive.search.health()
    if not index.ok:
        return index.detail
    with archive.sessions() as session:
        articles = int(session.scalar(select(func.count()).select_from(Article)) or 0)
        pending = pending_count(session)
    indexed = index.doc_count or 0
    if articles and indexed + pending < articles // 2:
        return f"the index holds {indexed} of the database's {articles} articles"
    return None


_REBUILDING = "the search index is being rebuilt from the database"


def _rebuild_message(reason: str) -> str:
    # A process already holding its searches sees its own message as the index's state: say
    # it once, not nested inside itself.
    if reason.startswith(_REBUILDING):
        return reason
    return f"{_REBUILDING} ({reason}); try again shortly"


def hold_if_disagreeing(archive: Archive) -> str | None:
    """Check the index against the database now and, when they disagree grossly, make searches
    in this process answer SearchUnavailable (503) at once, before any rebuild starts: a
    request that arrives first must not get a silently empty result. Returns the reason."""
    reason = index_disagreement(archive)
    if reason is not None:
        archive.search.hold(_rebuild_message(reason))
    return reason


def rebuild_if_disagreeing(archive: Archive) -> int | None:
    """Rebuild the index when it disagrees grossly with the database (`index_disagreement`);
    searches in this process answer SearchUnavailable (503) until it is done, never a
    silently empty result. Returns the documents indexed, or None when the index was fine.
    Several processes may call it at once: the write lock lets one rebuild, and the others
    find the index sound when their turn comes. Clears any hold when it returns."""
    try:
        reason = hold_if_disagreeing(archive)
        if reason is None:
            return None
        log.warning("the search index disagrees with the database (%s); rebuilding it", reason)
        with archive.write_lock(timeout=24 * 3600), archive.index_lock():
            archive.search.hold(None)
            if index_disagreement(archive) is None:  # another process rebuilt it meanwhile
                return None
            archive.search.hold(_rebuild_message(reason))
            count = _rebuild_locked(archive)
    finally:
        archive.search.hold(None)
    log.warning("search index rebuilt: %d articles", count)
    return count


@dataclass
class CheckReport:
    articles: int
    indexed: int | None
    missing: list[int] = field(default_factory=list)  # in the database, not in the index
    extra: list[int] = field(default_factory=list)  # in the index, not in the database
    stale: list[int] = field(default_factory=list)  # indexed with other content
    pending: int = 0
    error: str | None = None
    damaged: bool = False  # the index files differ from what was committed (checksums)
    repaired: bool = False
    # True when nothing changed since they last agreed (the sync watermark): nothing was read.
    quick: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and not (self.missing or self.extra or self.stale or self.pending)

    def summary(self) -> str:
        if self.error:
            return f"index {'damaged' if self.damaged else 'unreadable'}: {self.error}"
        parts = [f"{self.articles} articles in the database, {self.indexed} in the index"]
        if self.missing:
            parts.append(f"{len(self.missing)} missing from the index")
        if self.extra:
            parts.append(f"{len(self.extra)} in the index but not the database")
        if self.stale:
            parts.append(f"{len(self.stale)} indexed with outdated content")
        if self.pending:
            parts.append(f"{self.pending} index updates pending")
        agree = "; they agree" + (" (unchanged since last checked)" if self.quick else "")
        return "; ".join(parts) + ("" if not self.ok else agree)


def check(archive: Archive, *, repair: bool = False, full: bool = False) -> CheckReport:
    """Compare database and index; with `repair`, make the index match the database. Unless
    `full`, a database and index unchanged since they last agreed are trusted without reading
    the index (app.services.sync_watermark)."""
    # The quick path still asks the index's health, which checks each file's size and time
    # against its checksum record: damage is never hidden behind an unchanged watermark.
    if (
        not full
        and not archive.search.transactional
        and sync_watermark.unchanged(archive)
        and archive.search.health().ok
    ):
        mark = sync_watermark.database_mark(archive)
        return CheckReport(articles=mark.articles, indexed=mark.articles, quick=True)
    before = (sync_watermark.database_mark(archive), archive.search.generation())
    with archive.sessions() as session:
        db_versions = dict(session.execute(select(Article.id, Article.content_hash)).all())
        pending = pending_count(session)
    try:
        indexed = archive.search.versions()
    except SearchUnavailable as exc:
        report = CheckReport(
            articles=len(db_versions),
            indexed=None,
            error=str(exc),
            damaged=isinstance(exc, IndexDamaged),
        )
        if repair:
            reindex(archive)
            report.repaired = True
        return report
    report = CheckReport(
        articles=len(db_versions),
        indexed=len(indexed),
        missing=sorted(set(db_versions) - set(indexed)),
        extra=sorted(set(indexed) - set(db_versions)),
        stale=sorted(i for i in set(db_versions) & set(indexed) if db_versions[i] != indexed[i]),
        pending=pending,
    )
    if report.ok:
        _start_chain(archive, before)
    if repair and not report.ok:
        with archive.write_lock():
            drain_outbox(archive)
            with archive.index_lock():
                fix = report.missing + report.stale
                for start in range(0, len(fix), 500):
                    chunk = fix[start : start + 500]
                    with archive.sessions() as session:
                        rows = session.scalars(select(Article).where(Article.id.in_(chunk)))
                        archive.search.upsert([to_index_doc(a) for a in rows])
                archive.search.delete(report.extra)
        report.repaired = True
    return report


def _start_chain(archive: Archive, before: tuple[sync_watermark.DatabaseMark, str | None]) -> None:
    """A full check found agreement: record it, if nothing changed while it read."""
    mark, generation = before
    if generation is None or mark.pending:
        return
    with archive.index_lock():
        if (sync_watermark.database_mark(archive), archive.search.generation()) == before:
            sync_watermark.record(archive, mark, generation)
