"""Articles' languages: counts per language, and detection for an existing archive (rows stored
before imports detected a language, or all of them again with a newer detector)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from app.archive import Archive
from app.ingest.language import detect
from app.models import Article, IndexOutbox, utcnow
from app.services.index_sync import drain_outbox

BATCH = 500


@dataclass
class DetectSummary:
    checked: int = 0
    changed: int = 0  # rows whose language was set or changed
    unknown: int = 0  # rows the detector could not tell (too short, or unclear)


def language_counts(archive: Archive) -> dict[str | None, int]:
    """Articles per language code (None: unknown), most first."""
    with archive.read_sessions() as session:
        rows = session.execute(
            select(Article.language, func.count()).group_by(Article.language)
        ).all()
    return dict(sorted(((lang, int(n)) for lang, n in rows), key=lambda kv: -kv[1]))


def _selection(everything: bool) -> Select[Any]:
    stmt = select(Article.id)
    return stmt if everything else stmt.where(Article.language.is_(None))


def count_to_detect(archive: Archive, *, everything: bool = False) -> int:
    """How many articles `detect_languages` would look at."""
    with archive.read_sessions() as session:
        subquery = _selection(everything).subquery()
        return int(session.scalar(select(func.count()).select_from(subquery)) or 0)


def detect_languages(
    archive: Archive,
    *,
    everything: bool = False,
    on_batch: Callable[[int], None] | None = None,
) -> DetectSummary:
    """Detect the language of every article without one (of every article when `everything`:
    a language a source gave is then replaced by the detected one only where detection is
    sure). Committed and re-indexed a batch at a time; `on_batch` gets each batch's size."""
    summary = DetectSummary()
    last = 0
    while True:
        with archive.write_lock(), archive.sessions() as session:
            stmt = _selection(everything).where(Article.id > last).order_by(Article.id)
            ids = list(session.scalars(stmt.limit(BATCH)))
            if not ids:
                break
            rows = session.scalars(select(Article).where(Article.id.in_(ids))).all()
            for article in rows:
                found = detect(article.title, article.body)
                if found is None:
                    summary.unknown += 1
                elif found != article.language:
                    article.language = found
                    article.updated_at = utcnow()
                    summary.changed += 1
                    if not archive.search.transactional:
                        session.add(IndexOutbox(article_id=article.id, op="upsert"))
            session.commit()
        drain_outbox(archive)
        summary.checked += len(ids)
        last = ids[-1]
        if on_batch:
            on_batch(len(ids))
    return summary
