"""The import pages: `/imports` lists past runs and offers an upload form; uploading needs a
write token (typed into the form; a page cannot send a bearer header), which also stops
cross-site form posts."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from app.http.deps import ArchiveDep, checked_token
from app.http.templating import render
from app.ingest.formats import FORMATS
from app.services.importer import ImportHooks, ImportOptions, ImportSummary, import_files
from app.services.imports import list_imports, record_summary, recorded_run, start_import
from app.services.index_sync import IndexLag, index_lag

router = APIRouter(include_in_schema=False)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _lag(archive: ArchiveDep) -> IndexLag:
    with archive.sessions() as session:
        return index_lag(session)


def status_label(status: str, *, added: int, updated: int, failed: int) -> str:
    """What a run's status means to a reader: a run that stored articles but also met bad
    items is done, with errors, not "failed" (that is a run that stored nothing)."""
    errors = f"{failed:,} error{'' if failed == 1 else 's'}"
    if status == "failed" and (added or updated):
        return f"done, {errors}"
    if status in ("done", "interrupted") and failed:
        return f"{status}, {errors}"
    return status


def _runs(archive: ArchiveDep) -> list[tuple[Any, str]]:
    runs = list_imports(archive, limit=50)
    return [
        (r, status_label(r.status, added=r.added, updated=r.updated, failed=r.failed)) for r in runs
    ]


@router.get("/imports", response_class=HTMLResponse)
def imports_page(request: Request, archive: ArchiveDep) -> Response:
    return render(
        request,
        "imports.html",
        runs=_runs(archive),
        lag=_lag(archive),
        formats=FORMATS,
        error=None,
        result=None,
        run_id=None,
    )


@router.post("/imports", response_class=HTMLResponse)
def upload(
    request: Request,
    archive: ArchiveDep,
    token: Annotated[str, Form()] = "",
    fmt: Annotated[str, Form(alias="format")] = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    def page(status: int, **context: Any) -> Response:
        context = {"error": None, "result": None, "run_id": None, "lag": _lag(archive), **context}
        runs = _runs(archive)
        return render(request, "imports.html", status, runs=runs, formats=FORMATS, **context)

    principal = checked_token(request, archive, token.strip()) if token.strip() else None
    if principal is None or not principal.can("write"):
        why = "a write token is needed to upload" if not token.strip() else "not a write token"
        return page(401 if not token.strip() else 403, error=why)
    if fmt and fmt not in FORMATS:
        return page(400, error=f"unknown format {fmt!r}")
    uploads = [f for f in files or [] if f.filename]
    if not uploads:
        return page(400, error="choose at least one file")
    with tempfile.TemporaryDirectory(prefix="newsarchive-upload-") as tmp:
        names: dict[str, str] = {}
        for number, upload_file in enumerate(uploads):
            original = Path(upload_file.filename or "upload").name
            # Keep the extension (it picks the reader); the rest is only for the temp file.
            target = Path(tmp) / f"{number}-{_UNSAFE.sub('_', original)[-120:]}"
            with target.open("wb") as out:
                shutil.copyfileobj(upload_file.file, out)
            names[str(target)] = original
        run_id = start_import(archive, sources=list(names.values()), via="upload")
        summary = ImportSummary()
        with recorded_run(archive, run_id=run_id, summary=summary):
            import_files(
                archive,
                files=list(names),
                options=ImportOptions(fmt=fmt or None, run_id=run_id, names=names),
                hooks=ImportHooks(
                    on_batch=lambda done: record_summary(archive, run_id=run_id, summary=done)
                ),
                summary=summary,
            )
    return page(200, result=summary, run_id=run_id)
