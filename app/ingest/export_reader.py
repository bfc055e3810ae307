"""Reading a `newsarchive export` file back (NDJSON: a header line, then one article a line)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from app.ingest.record import ArticleIn, InvalidArticle, content_hash

__all__ = ["FORMAT", "VERSION", "is_export", "read_export", "read_export_lines"]

# The export file's header names its format and version; `newsarchive export` writes them.
FORMAT = "newsarchive-export"
VERSION = 1


def is_export(path: Path) -> bool:
    """True when the file starts with an export header line."""
    try:
        with path.open("rb") as f:
            first = f.readline(4096)
        header = json.loads(first)
    except (OSError, ValueError):
        return False
    return isinstance(header, dict) and header.get("format") == FORMAT


def _record(data: Any) -> ArticleIn:
    if not isinstance(data, dict):
        raise InvalidArticle("not a JSON object")
    try:
        body = data["body"]
        if not isinstance(body, str) or not body.strip():
            raise InvalidArticle("no body")
        if data.get("content_hash") and data["content_hash"] != content_hash(body):
            raise InvalidArticle("content_hash does not match the body (damaged export?)")
        return ArticleIn(
            body=body,
            published=dt.date.fromisoformat(data["published"]),
            title=data.get("title"),
            title_derived=bool(data.get("title_derived")),
            source=data.get("source"),
            authors=list(data.get("authors") or []),
            contributors=list(data.get("contributors") or []),
            url=data.get("url"),
            language=data.get("language"),
            origin=data.get("origin"),
            extra=data["extra"] if isinstance(data.get("extra"), dict) else None,
            provenance=data["provenance"] if isinstance(data.get("provenance"), dict) else None,
            id=int(data["id"]) if data.get("id") is not None else None,
            created_at=dt.datetime.fromisoformat(data["created_at"])
            if data.get("created_at")
            else None,
            updated_at=dt.datetime.fromisoformat(data["updated_at"])
            if data.get("updated_at")
            else None,
        )
    except InvalidArticle:
        raise
    except KeyError as exc:
        raise InvalidArticle(f"missing field {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise InvalidArticle(f"bad value: {exc}") from None


def read_export(path: Path, *, max_line_bytes: int) -> Iterator[tuple[str, ArticleIn | str]]:
    """(label, article or error message) for each line; labels name file and line."""
    with path.open("rb") as f:
        yield from _read_export(f, label=str(path), max_line_bytes=max_line_bytes)


def read_export_lines(
    f: IO[bytes], *, label: str, max_line_bytes: int
) -> Iterator[tuple[str, ArticleIn | None, str | None]]:
    """The same as read_export, as (label, article, error) items, from any byte stream."""
    for where, record in _read_export(f, label=label, max_line_bytes=max_line_bytes):
        if isinstance(record, str):
            yield where, None, record
        else:
            yield where, record, None


def _read_export(
    f: IO[bytes], *, label: str, max_line_bytes: int
) -> Iterator[tuple[str, ArticleIn | str]]:
    try:
        header = json.loads(f.readline())
    except ValueError:
        yield f"{label}:1", "the export header line is not JSON"
        return
    if header.get("version", 0) > VERSION:
        yield f"{label}:1", f"export version {header.get('version')} is newer than this program"
        return
    for number, raw in enumerate(f, start=2):
        label_n = f"{label}:{number}"
        if not raw.strip():
            continue
        if len(raw) > max_line_bytes:
            yield label_n, f"line too large ({len(raw):,} bytes)"
            continue
        try:
            yield label_n, _record(json.loads(raw))
        except (ValueError, UnicodeDecodeError) as exc:
            message = str(exc) if isinstance(exc, InvalidArticle) else f"not JSON: {exc}"
            yield label_n, message
