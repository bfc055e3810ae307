"""Re-derive stored bylines: archives loaded before agencies were recognised hold "Reuters" as a
second author of "MICHAEL FITZPATRICK, Reuters"; this moves such outlets to the source."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.archive import Archive
from app.ingest.names import is_outlet
from app.models import Article, ArticlePerson, IndexOutbox, utcnow
from app.services.index_sync import drain_outbox


@dataclass
class BylineFix:
    article_id: int
    dropped: str  # the author entry that named the outlet
    source: str | None  # the article's source afterwards


def fix_agency_bylines(archive: Archive, *, dry_run: bool = False) -> list[BylineFix]:
    """Drop the last author of every article whose byline ends with a known agency or the
    article's own source (when a person is named before it), fill an empty source with it, and
    re-index those articles. With `dry_run`, only say what would change."""
    fixes: list[BylineFix] = []
    with archive.write_lock(), archive.sessions() as session:
        candidates = session.scalars(
            select(Article)
            .where(
                Article.id.in_(
                    select(ArticlePerson.article_id).where(ArticlePerson.role == "author")
                )
            )
            .order_by(Article.id)
        )
        for article in candidates:
            authors = [p for p in article.people if p.role == "author"]
            last = authors[-1]
            if len(authors) < 2 or not is_outlet(last.name, source=article.source):
                continue
            fixes.append(BylineFix(article.id, last.name, article.source or last.name))
            if dry_run:
                continue
            article.people.remove(last)
            article.source = article.source or last.name
            article.updated_at = utcnow()
            if not archive.search.transactional:
                session.add(IndexOutbox(article_id=article.id, op="upsert"))
        if not dry_run:
            session.commit()
    if fixes and not dry_run:
        drain_outbox(archive)
    return fixes
