"""The import history: one row per `newsarchive import`, upload or bulk request, with its counts
and errors, so a user can see what each run did after the terminal is gone. Each run also names
the process doing it and when that process last committed a batch, so a run killed outright
(SIGKILL, a crashed server) shows as "interrupted" instead of "running" for ever."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from app.archive import Archive
from app.models import ImportRun, utcnow

if TYPE_CHECKING:
    from app.services.importer import ImportSummary

log = logging.getLogger(__name__)
MAX_ERRORS_KEPT = 500  # per run; the counts stay exact beyond it
# A live run commits a batch every few seconds; one silent for this long is taken for dead even
# when its process cannot be checked (another machine) or its pid has been reused.
STALE_AFTER = dt.timedelta(hours=1)


def start_import(archive: Archive, *, sources: list[str], via: str = "cli") -> int:
    """Record a run as started by this process; returns its id."""
    with archive.sessions() as session:
        run = ImportRun(
            sources="\n".join(sources)[:10_000],
            via=via,
            status="running",
            errors=[],
            pid=os.getpid(),
            host=socket.gethostname()[:255],
            heartbeat_at=utcnow(),
        )
        session.add(run)
        session.commit()
        return run.id


def record_progress(
    archive: Archive,
    *,
    run_id: int,
    added: int,
    duplicates: int,
    failed: int,
    updated: int = 0,
    files: int = 0,
) -> None:
    """A batch was committed: store the counts so far and the heartbeat. Best effort: a
    heartbeat that cannot be written is logged, and the import goes on."""
    values = {
        "added": added,
        "duplicates": duplicates,
        "failed": failed,
        "updated": updated,
        "files": files,
    }
    try:
        with archive.sessions() as session:
            session.execute(
                update(ImportRun)
                .where(ImportRun.id == run_id, ImportRun.status == "running")
                .values(**values, heartbeat_at=utcnow())
            )
            session.commit()
    except SQLAlchemyError as exc:
        log.warning("could not record the progress of import #%s: %s", run_id, exc)


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
    failed_total: int | None = None,
) -> None:
    """Store a run's outcome ("done", "failed" or "interrupted"); `failed_total` counts the
    failures when `failed` lists only the first of them."""
    with archive.sessions() as session:
        run = session.get(ImportRun, run_id)
        if run is None:
            return
        run.status = status
        run.finished_at = utcnow()
        run.heartbeat_at = run.finished_at
        run.files, run.added, run.updated, run.duplicates = files, added, updated, duplicates
        run.failed = len(failed) if failed_total is None else failed_total
        run.errors = [[label, message] for label, message in failed[:MAX_ERRORS_KEPT]]
        session.commit()


def record_summary(archive: Archive, *, run_id: int, summary: ImportSummary) -> None:
    """`record_progress` with the counts so far of an `import_files` run."""
    record_progress(
        archive,
        run_id=run_id,
        added=summary.added,
        duplicates=summary.duplicates,
        failed=len(summary.failed),
        updated=summary.updated,
        files=summary.files,
    )


def finish_summary(archive: Archive, *, run_id: int, status: str, summary: ImportSummary) -> None:
    """`finish_import` with the outcome of an `import_files` run."""
    finish_import(
        archive,
        run_id=run_id,
        status=status,
        files=summary.files,
        added=summary.added,
        duplicates=summary.duplicates,
        updated=summary.updated,
        failed=summary.failed,
    )


@contextmanager
def recorded_run(archive: Archive, *, run_id: int | None, summary: ImportSummary) -> Iterator[None]:
    """Around an `import_files` run: afterwards its record says "done" or "failed" (by the
    summary), "interrupted" on Ctrl-C, or "failed" with the error on any other exception,
    which goes on up. Without it, a run that raised stayed "running" until it looked
    abandoned (an hour, in a server that is still alive). `run_id` None: nothing recorded."""
    if run_id is None:
        yield
        return
    try:
        yield
    except KeyboardInterrupt:
        finish_summary(archive, run_id=run_id, status="interrupted", summary=summary)
        raise
    except Exception as exc:
        summary.failed.append(("import", f"{exc.__class__.__name__}: {exc}"))
        finish_summary(archive, run_id=run_id, status="failed", summary=summary)
        raise
    finish_summary(
        archive, run_id=run_id, status="done" if summary.ok else "failed", summary=summary
    )


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    except OSError:
        return False
    try:  # Linux: a killed child its parent has not reaped yet is still "there"
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return True
    return fields[0] != "Z"


def abandoned(run: ImportRun, *, now: dt.datetime | None = None) -> bool:
    """A "running" run whose process is gone from this machine or that has been silent for
    longer than STALE_AFTER."""
    if run.status != "running":
        return False
    last = run.heartbeat_at or run.started_at
    if (now or utcnow()) - last > STALE_AFTER:
        return True
    if run.pid is not None and run.host == socket.gethostname()[:255]:
        return not process_alive(run.pid)
    return False


def list_imports(archive: Archive, *, limit: int = 50) -> list[ImportRun]:
    """The most recent runs first; an abandoned run is shown as "interrupted"."""
    with archive.sessions() as session:
        runs = list(session.scalars(select(ImportRun).order_by(ImportRun.id.desc()).limit(limit)))
    now = utcnow()
    for run in runs:
        # Shown, not stored (the session is closed): should a slow run on another machine
        # commit again after all, its next heartbeat is believed.
        if abandoned(run, now=now):
            run.status = "interrupted"
    return runs
