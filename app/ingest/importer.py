"""Bulk import (dated-text files, archive exports): batched writes; one bad file never stops
the rest."""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.archive import Archive
from app.articles import add_articles
from app.ingest.dated_text import decode, parse_dated_text
from app.ingest.export_reader import is_export, read_export
from app.ingest.record import ArticleIn, InvalidArticle

TEXT_SUFFIXES = {".txt", ".text", ".md", "", ".ndjson", ".jsonl"}


@dataclass
class ImportSummary:
    files: int = 0
    added: int = 0
    duplicates: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def line(self) -> str:
        return (
            f"{self.files} files: {self.added} added, {self.duplicates} duplicates, "
            f"{len(self.failed)} failed"
        )


def expand_paths(paths: Iterable[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Files named directly, found under directories (recursively) or matched by globs; `-` is
    standard input. Returns (files, problems)."""
    found: list[str] = []
    problems: list[tuple[str, str]] = []
    for raw in paths:
        if raw == "-":
            found.append("-")
            continue
        candidates = [raw]
        if glob.has_magic(raw):
            candidates = sorted(glob.glob(raw, recursive=True))
            if not candidates:
                problems.append((raw, "no files match this pattern"))
                continue
        for candidate in candidates:
            path = Path(candidate)
            if path.is_dir():
                for root, dirs, files in os.walk(path):
                    dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                    for name in sorted(files):
                        child = Path(root) / name
                        if not name.startswith(".") and child.suffix.lower() in TEXT_SUFFIXES:
                            found.append(str(child))
            elif path.is_file():
                found.append(str(path))
            elif path.exists():
                problems.append((candidate, "not a regular file"))
            else:
                problems.append((candidate, "no such file or directory"))
    return found, problems


def read_file(name: str, *, max_bytes: int, encoding: str | None) -> ArticleIn:
    """Read and parse one file (`-` is standard input)."""
    if name == "-":
        data = sys.stdin.buffer.read(max_bytes + 1)
        origin = "stdin"
    else:
        path = Path(name)
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise InvalidArticle(
                    f"file too large ({size:,} bytes; the limit is {max_bytes:,} bytes)"
                )
            data = path.read_bytes()
        except OSError as exc:
            raise InvalidArticle(f"cannot read: {exc.strerror or exc}") from None
        origin = str(path.resolve())
    text = decode(data, max_bytes=max_bytes, encoding=encoding)
    return parse_dated_text(text, origin=origin)


def read_records(
    name: str, *, max_bytes: int, encoding: str | None
) -> Iterator[tuple[str, ArticleIn | None, str | None]]:
    """(label, article, error) for every record in one file: one for a dated-text file, one a
    line for a `newsarchive export` file (recognised by its header line)."""
    if name != "-" and is_export(Path(name)):
        for label, record in read_export(Path(name), max_line_bytes=max_bytes):
            if isinstance(record, str):
                yield label, None, record
            else:
                yield label, record, None
        return
    try:
        yield name, read_file(name, max_bytes=max_bytes, encoding=encoding), None
    except InvalidArticle as exc:
        yield name, None, str(exc)


def import_files(
    archive: Archive,
    *,
    files: list[str],
    encoding: str | None = None,
    batch_size: int = 200,
    on_error: Callable[[str, str], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import files in batches (one transaction and one index commit per batch)."""
    summary = ImportSummary()
    batch: list[tuple[str, ArticleIn]] = []

    def flush() -> None:
        if not batch:
            return
        try:
            outcomes = add_articles(archive, items=[item for _, item in batch])
        except InvalidArticle:
            # One record the batch could not store: retry one by one so only it fails.
            outcomes = []
            for name, item in batch:
                try:
                    outcomes.extend(add_articles(archive, items=[item]))
                except InvalidArticle as exc:
                    summary.failed.append((name, str(exc)))
                    if on_error:
                        on_error(name, str(exc))
        for outcome in outcomes:
            if outcome.status == "added":
                summary.added += 1
            else:
                summary.duplicates += 1
        batch.clear()

    for name in files:
        summary.files += 1
        for label, item, error in read_records(
            name, max_bytes=archive.settings.max_article_bytes, encoding=encoding
        ):
            if item is None:
                summary.failed.append((label, error or "unreadable"))
                if on_error:
                    on_error(label, error or "unreadable")
                continue
            batch.append((label, item))
            if len(batch) >= batch_size:
                flush()
        if on_progress:
            on_progress(1)
    flush()
    return summary
