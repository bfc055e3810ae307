"""Bulk import of every readable format (see app/ingest/formats.py): batched writes, one
transaction and one index commit per batch; one bad file or item never stops the rest."""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.archive import Archive
from app.ingest.dated_text import decode, parse_dated_text
from app.ingest.formats import IMPORTABLE_SUFFIXES, logical_suffix, read_path
from app.ingest.record import ArticleIn, InvalidArticle, content_hash
from app.models import utcnow
from app.services.articles import (
    AddOutcome,
    ArticleChanges,
    ArticleConflict,
    add_articles,
    known_articles,
    update_article,
)


@dataclass
class ImportSummary:
    files: int = 0
    added: int = 0
    duplicates: int = 0
    updated: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def line(self) -> str:
        return (
            f"{self.files} files: {self.added} added, {self.duplicates} duplicates, "
            f"{len(self.failed)} failed" + (f", {self.updated} updated" if self.updated else "")
        )


def _changed_at_same_url(outcome: AddOutcome) -> bool:
    """A duplicate by URL whose text differs: the page or feed entry was edited since."""
    item, article = outcome.item, outcome.article
    return bool(item.url and article.url == item.url) and (
        content_hash(item.body) != article.content_hash
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
                        if not name.startswith(".") and logical_suffix(name) in IMPORTABLE_SUFFIXES:
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
    name: str,
    *,
    max_bytes: int,
    encoding: str | None,
    fmt: str | None = None,
    max_file_bytes: int | None = None,
    on_position: Callable[[int], None] | None = None,
) -> Iterator[tuple[str, ArticleIn | None, str | None]]:
    """(label, article, error) for every record in one file, the reader chosen by `fmt` or by
    the file's extension and first bytes (standard input is dated text). `on_position` hears
    the bytes of the file behind each record."""
    if name != "-":
        yield from read_path(
            name,
            max_bytes=max_bytes,
            encoding=encoding,
            fmt=fmt,
            max_file_bytes=max_file_bytes,
            on_position=on_position,
        )
        return
    try:
        yield name, read_file(name, max_bytes=max_bytes, encoding=encoding), None
    except InvalidArticle as exc:
        yield name, None, str(exc)


def file_size(name: str) -> int | None:
    """A file's size in bytes; None for standard input or an unreadable file."""
    if name == "-":
        return None
    try:
        return Path(name).stat().st_size
    except OSError:
        return None


def import_files(
    archive: Archive,
    *,
    files: list[str],
    encoding: str | None = None,
    fmt: str | None = None,
    batch_size: int = 1000,
    dry_run: bool = False,
    run_id: int | None = None,
    on_error: Callable[[str, str], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    on_items: Callable[[int], None] | None = None,
    on_batch: Callable[[ImportSummary], None] | None = None,
    on_bytes: Callable[[int], None] | None = None,
    summary: ImportSummary | None = None,
    names: dict[str, str] | None = None,
    update: bool = False,
) -> ImportSummary:
    """Import files in batches (one transaction and one index commit per batch). With
    `dry_run`, read and classify everything (added or duplicate) but write nothing. `names`
    maps a file to the name to record in its place (an upload's own name, not its temp file).
    With `update`, a record whose URL is stored with different text replaces that article's
    text and fields (one transaction each) instead of counting as a duplicate. `on_batch` hears
    the counts so far after each batch is committed, `on_bytes` how many more bytes of the
    files are behind the records stored (or found failed) since it last heard."""
    summary = summary if summary is not None else ImportSummary()
    batch: list[tuple[str, ArticleIn]] = []
    seen: set[str] = set()  # dry run: what this run itself would already have added
    # Bytes read but not yet reported: reported once their records are stored, so the
    # progress bar's rate and ETA follow what is done, not what is merely parsed.
    unreported_bytes = 0
    file_bytes = 0  # how far into the current file

    def at_position(offset: int) -> None:
        nonlocal unreported_bytes, file_bytes
        if offset > file_bytes:
            unreported_bytes += offset - file_bytes
            file_bytes = offset

    def report_bytes() -> None:
        nonlocal unreported_bytes
        if on_bytes and unreported_bytes:
            on_bytes(unreported_bytes)
        unreported_bytes = 0

    def flush() -> None:
        if not batch:
            return
        store()
        report_bytes()

    def store() -> None:
        if on_items:
            on_items(len(batch))
        if dry_run:
            stored = known_articles(archive, items=[item for _, item in batch])
            for (_, item), exists in zip(batch, stored, strict=True):
                keys = {content_hash(item.body), item.url or ""} - {""}
                if exists or keys & seen:
                    summary.duplicates += 1
                else:
                    summary.added += 1
                seen.update(keys)
            batch.clear()
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
            elif update and _changed_at_same_url(outcome):
                _update(outcome)
            else:
                summary.duplicates += 1
        batch.clear()
        if on_batch:
            on_batch(summary)

    def _update(outcome: AddOutcome) -> None:
        item = outcome.item
        label = item.url or str(outcome.article.id)
        try:
            update_article(
                archive,
                article_id=outcome.article.id,
                changes=ArticleChanges(
                    body=item.body,
                    title=None if item.title_derived else item.title,
                    published=item.published,
                    source=item.source,
                    authors=item.authors or None,
                    language=item.language,
                ),
            )
        except (InvalidArticle, ArticleConflict) as exc:
            summary.failed.append((label, f"cannot update article {outcome.article.id}: {exc}"))
            if on_error:
                on_error(label, str(exc))
            return
        summary.updated += 1

    imported_at = utcnow().isoformat(timespec="seconds")
    for name in files:
        summary.files += 1
        file_bytes = 0
        for label, item, error in read_records(
            name,
            max_bytes=archive.settings.max_article_bytes,
            encoding=encoding,
            fmt=fmt,
            max_file_bytes=archive.settings.max_bulk_bytes,
            on_position=at_position,
        ):
            if names and name in names:
                label = label.replace(str(Path(name).resolve()), names[name])
                label = label.replace(name, names[name])
            if item is None:
                summary.failed.append((label, error or "unreadable"))
                if on_error:
                    on_error(label, error or "unreadable")
                continue
            if names and name in names:
                item.origin = names[name]
                item.provenance = {**(item.provenance or {}), "file": names[name]}
            if item.created_at is None:  # a restored export keeps its original provenance
                item.provenance = {
                    **(item.provenance or {"file": item.origin or label}),
                    "imported_at": imported_at,
                    "import_id": run_id,
                }
            batch.append((label, item))
            if len(batch) >= batch_size:
                flush()
        at_position(file_size(name) or 0)  # what followed the last record, or a whole page
        if not batch:
            report_bytes()  # nothing of it is waiting to be stored
        if on_progress:
            on_progress(1)
    flush()
    return summary
