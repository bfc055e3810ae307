"""The sync watermark: what the database and the index looked like the last time they were known
to agree, so that `check` at start-up need not read every stored field of the index when
nothing has changed since.

The invariant behind it: every row change writes an outbox entry in its own transaction, and a
drain applies entries to the index before clearing them, so "the index equals the database,
except for the articles named in the outbox" holds for as long as nothing else writes the
index. A full check that finds agreement starts the chain; each drain that finds the index at
the generation recorded last extends it (recording the generation it wrote and the database as
it then was). Anything else (an index written by a drain that failed half-way, a rebuilt or
copied index folder, a database changed behind the app's back in a way that moves its count,
ids or newest update time) breaks the chain, and `check` falls back to comparing everything.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import func, select

from app.archive import Archive
from app.models import Article, IndexOutbox

log = logging.getLogger(__name__)
FILE_NAME = "sync-watermark.json"  # in the index folder: a rebuilt folder starts without one


@dataclass(frozen=True)
class DatabaseMark:
    """The database in a few aggregates, read in one statement (one snapshot)."""

    articles: int
    max_id: int
    id_sum: int
    max_updated_at: str
    pending: int


@dataclass(frozen=True)
class Watermark:
    database: DatabaseMark
    generation: str


def database_mark(archive: Archive) -> DatabaseMark:
    """Count, largest id, sum of ids and newest update of the articles, and the outbox's size."""
    pending = select(func.count()).select_from(IndexOutbox).scalar_subquery()
    with archive.sessions() as session:
        row = session.execute(
            select(
                func.count(Article.id),
                func.coalesce(func.max(Article.id), 0),
                func.coalesce(func.sum(Article.id), 0),
                func.max(Article.updated_at),
                pending,
            )
        ).one()
    return DatabaseMark(
        articles=int(row[0]),
        max_id=int(row[1]),
        id_sum=int(row[2]),
        max_updated_at=str(row[3] or ""),
        pending=int(row[4]),
    )


def _path(archive: Archive) -> Path:
    return archive.settings.resolved_index_dir() / FILE_NAME


def read(archive: Archive) -> Watermark | None:
    """The recorded watermark, or None when there is none (or it cannot be read)."""
    try:
        data = json.loads(_path(archive).read_text())
        return Watermark(DatabaseMark(**data["database"]), str(data["generation"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record(archive: Archive, mark: DatabaseMark, generation: str) -> None:
    """Store a watermark (atomically: a reader sees the old one or the new one)."""
    path = _path(archive)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps({"database": asdict(mark), "generation": generation}))
        os.replace(tmp, path)
    except OSError as exc:  # only a missed shortcut: the next check compares everything
        log.warning("could not record the sync watermark: %s", exc)


def forget(archive: Archive) -> None:
    """Drop the watermark: the next check compares everything."""
    try:
        _path(archive).unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not remove the sync watermark: %s", exc)


def chain_holds(archive: Archive) -> bool:
    """Whether the index is still at the generation recorded last (nobody else wrote it)."""
    stored = read(archive)
    generation = archive.search.generation()
    return stored is not None and generation is not None and stored.generation == generation


def extend(archive: Archive) -> None:
    """After a drain that began with the chain holding: record the index it wrote and the
    database as it is now (call with the index lock held)."""
    generation = archive.search.generation()
    if generation is not None:
        record(archive, database_mark(archive), generation)


def unchanged(archive: Archive) -> bool:
    """True when the database and the index are as recorded with nothing pending: they still
    agree, without reading the index."""
    stored = read(archive)
    if stored is None:
        return False
    generation = archive.search.generation()
    mark = database_mark(archive)
    return generation == stored.generation and mark == stored.database and mark.pending == 0
