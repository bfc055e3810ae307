"""The import history: one row per `newsarchive import` or upload run, with its counts and
errors, so a user can see what each run did after the terminal is gone."""

from __future__ import annotations

from sqlalchemy import select

from app.archive import Archive
from app.models import ImportRun, utcnow

MAX_ERRORS_KEPT = 500  # per run; the counts stay exact beyond it


def start_import(archive: Archive, *, sources: list[str], via: str = "cli") -> int:
    """Record a run as started; returns its id."""
    with archive.sessions() as session:
        run = ImportRun(sources="\n".join(sources)[:10_000], via=via, status="running", errors=[])
        session.add(run)
        session.commit()
        return run.id


def finish_import(
    archive: Archive,
    *,
    run_id: int,
    status: str,
    files: int,
    added: int,
    duplicates: int,
    failed: list[tuple[str, str]],
    updated: int = 0,
) -> None:
    """Store a run's outcome ("done", "failed" or "interrupted")."""
    with archive.sessions() as session:
        run = session.get(ImportRun, run_id)
        if run is None:
            return
        run.status = status
        run.finished_at = utcnow()
        run.files, run.added, run.updated, run.duplicates = files, added, updated, duplicates
        run.failed = len(failed)
        run.errors = [[label, message] for label, message in failed[:MAX_ERRORS_KEPT]]
        session.commit()


def list_imports(archive: Archive, *, limit: int = 50) -> list[ImportRun]:
    """The most recent runs first."""
    with archive.sessions() as session:
        return list(session.scalars(select(ImportRun).order_by(ImportRun.id.desc()).limit(limit)))
