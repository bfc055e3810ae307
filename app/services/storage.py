"""What stops the archive from writing: a full disk or a read-only data folder (issue 17, D18).

Used by `/api/v1/health` (looked for before anything fails) and by the error handlers (a failed
write is given its cause: 507 for a full disk, 503 for a read-only folder, never a bare 500).
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path

# Less free space than this in the data folder and health reports the disk as full: SQLite
# needs room for its WAL and the index for a merge before a write can succeed.
MIN_FREE_BYTES = 64 * 1024 * 1024

_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
# PostgreSQL SQLSTATEs: disk_full, read_only_sql_transaction.
_PG_FULL, _PG_READ_ONLY = "53100", "25006"


@dataclass(frozen=True)
class StorageFault:
    code: str  # disk_full or read_only
    message: str

    @property
    def status(self) -> int:
        return 507 if self.code == "disk_full" else 503


def disk_full(detail: str) -> StorageFault:
    return StorageFault("disk_full", f"the archive's disk is full ({detail}); free some space")


def read_only(detail: str) -> StorageFault:
    return StorageFault(
        "read_only", f"the archive's data folder cannot be written ({detail}); check its mount"
    )


def storage_faults(data_dir: Path, *, min_free: int = MIN_FREE_BYTES) -> list[StorageFault]:
    """What would make writes fail now: too little free space, or a folder that refuses a
    new file (a read-only mount or permissions)."""
    faults: list[StorageFault] = []
    try:
        free = shutil.disk_usage(data_dir).free
    except OSError as exc:
        return [read_only(f"{data_dir}: {exc.strerror or exc}")]
    if free < min_free:
        faults.append(disk_full(f"{free // (1024 * 1024)} MB free in {data_dir}"))
    probe = data_dir / f".write-probe-{uuid.uuid4().hex}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        fault = classify_write_error(exc)
        if fault is not None and all(f.code != fault.code for f in faults):
            faults.append(fault)
    return faults


def classify_write_error(exc: BaseException) -> StorageFault | None:
    """The storage cause of a failed write (a full disk, a read-only folder or database), or
    None when the error is something else. Looks through the exception's causes."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        fault = _classify_one(current)
        if fault is not None:
            return fault
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return None


def _classify_one(exc: BaseException) -> StorageFault | None:
    if isinstance(exc, OSError) and exc.errno is not None:
        where = f": {exc.filename}" if exc.filename else ""
        if exc.errno in _FULL_ERRNOS:
            return disk_full(f"{os.strerror(exc.errno)}{where}")
        if exc.errno in _READ_ONLY_ERRNOS:
            return read_only(f"{os.strerror(exc.errno)}{where}")
        return None
    if isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError):
        text = str(exc).lower()
        if "disk is full" in text or "disk full" in text:
            return disk_full(f"SQLite: {exc}")
        if "readonly" in text or "read-only" in text or "unable to open database" in text:
            return read_only(f"SQLite: {exc}")
        return None
    state = getattr(exc, "sqlstate", None)
    if state == _PG_FULL:
        return disk_full(f"PostgreSQL: {exc}")
    if state == _PG_READ_ONLY:
        return read_only(f"PostgreSQL: {exc}")
    return None
