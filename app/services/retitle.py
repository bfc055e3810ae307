"""Re-derive stored headlines that were made from the lead, with the current rule (a clause
boundary within 90 characters): archives loaded before keep their older, longer cuts."""

from __future__ import annotations

from sqlalchemy import select

from app.archive import Archive
from app.ingest.attribution import find_attribution
from app.ingest.headline import derive_title, pick_lead
from app.models import Article, IndexOutbox, utcnow
from app.services.index_sync import drain_outbox
from app.textclean import split_paragraphs


def lead_title(body: str) -> str:
    """The headline the importers derive for `body` (a byline paragraph is not the lead)."""
    paragraphs = split_paragraphs(body)
    byline = find_attribution(paragraphs).byline and len(paragraphs) > 1
    return derive_title(pick_lead(paragraphs[1:] if byline else paragraphs))


def rederive_titles(archive: Archive, *, dry_run: bool = False) -> list[tuple[int, str, str]]:
    """(id, old, new) for every derived headline the current rule changes; stored and
    re-indexed unless `dry_run`."""
    changed: list[tuple[int, str, str]] = []
    with archive.write_lock(), archive.sessions() as session:
        for article in session.scalars(
            select(Article).where(Article.title_derived.is_(True)).order_by(Article.id)
        ):
            new = lead_title(article.body)[:500]
            if not new or new == article.title:
                continue
            changed.append((article.id, article.title, new))
            if dry_run:
                continue
            article.title = new
            article.updated_at = utcnow()
            if not archive.search.transactional:
                session.add(IndexOutbox(article_id=article.id, op="upsert"))
        if not dry_run:
            session.commit()
    if changed and not dry_run:
        drain_outbox(archive)
    return changed
